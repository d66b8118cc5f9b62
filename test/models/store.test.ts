import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { regularFileBytes } from '../../src/main/core/models/delete'
import { startHubSim } from '../sim/hub/server.js'
import { errorOf, makeStore, TINY, until, walk, type Store } from './support'

type Sim = Awaited<ReturnType<typeof startHubSim>>
let sim: Sim
let s: Store | undefined
const mounts: string[] = []

/** A small tmpfs (we run as root in CI and here); the store lives inside it. */
function smallDisk(bytes: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferadmin-tmpfs-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir])
  mounts.push(dir)
  return dir
}
const free = (dir: string): number => {
  const st = statfsSync(dir)
  return st.bavail * st.bsize
}
const root = (store: string): string => join(store, `models--${TINY.replace('/', '--')}`)
type LogEntry = Sim['log'][number]

beforeAll(async () => {
  sim = await startHubSim()
})
afterAll(async () => {
  await sim.close()
  for (const m of mounts) execFileSync('umount', [m])
})
afterEach(async () => {
  sim.faults.clear()
  sim.clearLog()
  await s?.dispose()
  s = undefined
})

describe('model store', () => {
  it('search: parameters, size to download, gated/private, already local', async () => {
    s = await makeStore(sim.url)
    const before = await s.models.search('inferadmin-sim', 'downloads', 10)
    expect(before.map((r) => r.repo)).toEqual(['inferadmin-sim/tiny-chat', 'inferadmin-sim/tiny-gated', 'inferadmin-sim/big-4g'])
    const chat = before.find((r) => r.repo === TINY)
    const plan = await s.models.plan(TINY)
    expect(chat).toMatchObject({ parameters: 1_835_008, local: false, gated: false, private: false, downloadBytes: plan.downloadBytes })
    expect(plan.files.find((f) => f.path === 'pytorch_model.bin')?.selected).toBe(false)
    expect(before.find((r) => r.repo.endsWith('tiny-gated'))).toMatchObject({ gated: 'manual', downloadBytes: undefined })
    const trending = await s.models.search('inferadmin-sim', 'trending', 2)
    expect(trending.map((r) => r.repo)).toEqual([TINY, 'inferadmin-sim/tiny-gated'])
    const job = await s.models.pull({ repo: TINY })
    await s.waitJob(job.id, ['done'])
    expect((await s.models.search('tiny-chat', 'downloads', 5))[0]?.local).toBe(true)
  })

  it('pause keeps partials, resume finishes; cancel removes partials', async () => {
    s = await makeStore(sim.url)
    sim.faults.throttle({ route: 'cdn', bytesPerSec: 2 << 20 })
    const job = await s.models.pull({ repo: TINY })
    await until(() => (s?.jobs.get(job.id).progress.bytesDone ?? 0) > 2_000_000, 20_000, 'progress')
    const paused = await s.jobs.pause(job.id)
    expect(paused.state).toBe('paused')
    expect(readdirSync(join(root(s.store), 'blobs')).some((f) => f.endsWith('.incomplete'))).toBe(true)
    sim.faults.clear()
    sim.clearLog()
    s.jobs.resume(job.id)
    expect((await s.waitJob(job.id, ['done', 'failed'])).state).toBe('done')
    expect(sim.log.some((e: LogEntry) => e.origin === 'cdn' && e.range !== undefined && !e.range.startsWith('bytes=0-'))).toBe(true)
    expect(walk(join(root(s.store), 'blobs')).some((f) => f.includes('incomplete'))).toBe(false)

    const s2 = await makeStore(sim.url)
    try {
      sim.faults.throttle({ route: 'cdn', bytesPerSec: 1 << 20 })
      const j2 = await s2.models.pull({ repo: TINY })
      await until(() => s2.jobs.get(j2.id).progress.bytesDone > 500_000, 20_000, 'progress')
      expect((await s2.jobs.cancel(j2.id)).state).toBe('cancelled')
      expect(existsSync(root(s2.store)) ? walk(root(s2.store)).filter((f) => f.includes('incomplete')) : []).toEqual([])
    } finally {
      await s2.dispose()
    }
  })

  it('disk short: refused before start naming the bytes; ENOSPC mid-download pauses with partials kept; resumes after freeing space', async () => {
    const disk = smallDisk(12 << 20)
    s = await makeStore(sim.url, { store: join(disk, 'hub') })
    const filler = join(disk, 'filler')
    writeFileSync(filler, Buffer.alloc(6 << 20))
    const err = await errorOf(s.models.pull({ repo: TINY }))
    expect(err.code).toBe('CONFLICT')
    expect(err.message).toMatch(/Not enough disk space .* \(\d+ bytes\) still to download/)
    expect(err.data.fix).toMatch(/Free at least .* \(\d+ bytes\)/)
    rmSync(filler)

    sim.faults.throttle({ route: 'cdn', match: 'model-00002', bytesPerSec: 2 << 20 })
    const job = await s.models.pull({ repo: TINY })
    await until(
      () => (s?.jobs.get(job.id).progress.items?.find((i) => i.name.startsWith('model-00002'))?.bytesDone ?? 0) > 1_000_000,
      20_000,
      'shard 2 started',
    )
    // something else fills the disk while we download
    writeFileSync(filler, Buffer.alloc(Math.max(0, free(disk) - (256 << 10))))
    const paused = await s.waitJob(job.id, ['paused', 'failed', 'done'], 30_000)
    expect(paused.state).toBe('paused')
    expect(paused.error?.message).toMatch(/disk filled up.*\(\d+ bytes\) still to download/)
    expect(paused.error?.fix).toMatch(/Free at least .* \(\d+ bytes\).*partial files are kept/)
    const partials = readdirSync(join(root(s.store), 'blobs')).filter((f) => f.endsWith('.incomplete'))
    expect(partials.length).toBeGreaterThan(0)
    rmSync(filler)
    sim.faults.clear()
    s.jobs.resume(job.id)
    expect((await s.waitJob(job.id, ['done', 'failed', 'paused'])).state).toBe('done')
    expect(walk(root(s.store)).filter((f) => f.includes('incomplete'))).toEqual([])
  })

  it('update: new commit → update available → only changed files fetched → new snapshot; old one kept while in use, gone once unused', async () => {
    s = await makeStore(sim.url)
    const first = await s.models.pull({ repo: TINY })
    await s.waitJob(first.id, ['done'])
    const oldCommit = readFileSync(join(root(s.store), 'refs', 'main'), 'utf8')
    let list = await s.models.checkUpdates()
    expect(list[0]?.update).toMatchObject({ updateAvailable: false, localCommit: oldCommit })

    const newCommit = sim.addCommit(TINY, {
      'config.json': readFileSync(join(root(s.store), 'snapshots', oldCommit, 'config.json'), 'utf8').replace(
        '"num_hidden_layers": 4',
        '"num_hidden_layers": 4, "rope_theta": 10000',
      ),
    })
    list = await s.models.checkUpdates()
    expect(list[0]?.update).toMatchObject({ updateAvailable: true, localCommit: oldCommit, remoteCommit: newCommit })

    // a deployment uses the old snapshot
    let users: string[] = ['chat-1']
    s.setInUse((repo, commit) => (repo === TINY && commit === oldCommit ? users : []))
    sim.clearLog()
    const upd = await s.models.update(TINY)
    expect((await s.waitJob(upd.id, ['done', 'failed'])).state).toBe('done')
    const fetched = sim.log.filter((e: LogEntry) => e.route === 'resolve' || e.route === 'cdn').map((e: LogEntry) => e.file)
    expect([...new Set(fetched)]).toEqual(['config.json'])
    expect(readFileSync(join(root(s.store), 'refs', 'main'), 'utf8')).toBe(newCommit)
    expect(existsSync(join(root(s.store), 'snapshots', oldCommit))).toBe(true) // in use: kept
    list = await s.models.list()
    expect(list[0]?.revisions.find((r) => r.commit === oldCommit)?.inUseBy).toEqual(['chat-1'])

    users = []
    const freed = await s.models.collectGarbage()
    expect(freed).toBeGreaterThan(0) // the old config.json blob
    expect(existsSync(join(root(s.store), 'snapshots', oldCommit))).toBe(false)
    expect(readdirSync(join(root(s.store), 'snapshots'))).toEqual([newCommit])
    expect(readFileSync(join(root(s.store), 'snapshots', newCommit, 'model-00001-of-00002.safetensors')).length).toBeGreaterThan(1_000_000)
  })

  it('watch: changes not yet read arrive as one event (one re-fetch); the stream ends on abort', async () => {
    s = await makeStore(sim.url)
    const ac = new AbortController()
    const events = s.models.watch(ac.signal)
    const first = events.next() // subscribes
    await s.models.checkUpdates()
    expect((await first).value).toMatchObject({ type: 'changed', at: expect.any(String) })
    await s.models.checkUpdates()
    await s.models.checkUpdates()
    expect((await events.next()).value).toMatchObject({ type: 'changed' })
    const none = events.next()
    ac.abort()
    expect(await none).toEqual({ done: true, value: undefined })
  })

  it('delete: refused while in use (names the deployment); otherwise frees what the disk says', async () => {
    const disk = smallDisk(32 << 20)
    s = await makeStore(sim.url, { store: join(disk, 'hub') })
    mkdirSync(join(disk, 'hub'), { recursive: true })
    const job = await s.models.pull({ repo: TINY })
    await s.waitJob(job.id, ['done'])
    s.setInUse(() => ['chat-prod'])
    const err = await errorOf(s.models.delete(TINY))
    expect(err).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('chat-prod') })
    s.setInUse(() => [])
    // A stopped deployment names it: the list says so, and deleting asks first (confirm), naming it.
    s.setNamedBy((repo) => (repo === TINY ? ['chat-stopped'] : []))
    expect((await s.models.list())[0]?.namedBy).toEqual(['chat-stopped'])
    const ask = await errorOf(s.models.delete(TINY))
    expect(ask).toMatchObject({
      code: 'CONFLICT',
      message: `${TINY} is the model of deployment "chat-stopped", which cannot start without it.`,
    })
    const storage = await s.models.storage()
    const bytes = await regularFileBytes(root(s.store))
    expect(storage[0]).toMatchObject({ models: 1, usedByModels: bytes - 40 /* refs/main */, exists: true })
    const freeBefore = free(disk)
    const del = await s.models.delete(TINY, undefined, true)
    const done = await s.waitJob(del.id, ['done', 'failed'])
    expect(done.result?.bytesFreed).toBe(bytes)
    const gained = free(disk) - freeBefore
    // tmpfs accounts whole 4 KiB pages per file
    expect(gained).toBeGreaterThanOrEqual(bytes)
    expect(gained).toBeLessThan(bytes + 64 * 4096)
    expect(existsSync(root(s.store))).toBe(false)
    expect(await s.models.list()).toEqual([])
  })
})
