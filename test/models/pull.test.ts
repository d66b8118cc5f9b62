import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startHubSim } from '../sim/hub/server.js'
import { errorOf, GATED, makeStore, sha256, TINY, walk, type Store } from './support'

type Sim = Awaited<ReturnType<typeof startHubSim>>
type LogEntry = Sim['log'][number]
let sim: Sim
let s: Store

beforeAll(async () => {
  sim = await startHubSim()
})
afterAll(async () => {
  await sim.close()
})
afterEach(async () => {
  sim.faults.clear()
  sim.clearLog()
  await s?.dispose()
})

const folder = (store: string, repo: string): string => join(store, `models--${repo.replace('/', '--')}`)

/** Every snapshot file resolves to a blob whose name is its checksum; no partials are left. */
function expectValidCache(store: string, repo: string): { commit: string; files: string[] } {
  const root = folder(store, repo)
  const ref = readFileSync(join(root, 'refs', 'main'), 'utf8')
  expect(ref).toMatch(/^[0-9a-f]{40}$/) // no newline
  const files = walk(join(root, 'snapshots', ref))
  for (const f of files) {
    const link = join(root, 'snapshots', ref, f)
    // A relative symlink into blobs/ (what huggingface_hub and vLLM expect), whose content matches its name.
    expect(lstatSync(link).isSymbolicLink(), f).toBe(true)
    const target = readlinkSync(link)
    expect(target, f).toMatch(new RegExp(`^(\\.\\./){${f.split('/').length + 1}}blobs/([0-9a-f]{40}|[0-9a-f]{64})$`))
    const blob = target.split('/').at(-1) as string
    const content = readFileSync(link) // follows the relative symlink
    if (blob.length === 64) expect(sha256(link), f).toBe(blob)
    else expect(createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex'), f).toBe(blob)
  }
  for (const b of walk(join(root, 'blobs'))) {
    expect(b).not.toMatch(/incomplete/)
    if (b.length === 64) expect(sha256(join(root, 'blobs', b))).toBe(b)
  }
  return { commit: ref, files }
}

describe('model pull against the Hub stand-in', () => {
  it('pulls the default selection into a valid HF cache; Authorization never reaches the CDN', async () => {
    s = await makeStore(sim.url)
    s.secrets.set('hfToken', 'hf_simtoken')
    const job = await s.models.pull({ repo: TINY })
    const done = await s.waitJob(job.id, ['done', 'failed'])
    expect(done.error).toBeUndefined()
    expect(done.state).toBe('done')
    const { commit, files } = expectValidCache(s.store, TINY)
    expect(commit).toBe(sim.repos.get(TINY)?.refs.main)
    expect(files).toContain('model-00002-of-00002.safetensors')
    expect(files).toContain('tokenizer.json')
    expect(files).not.toContain('pytorch_model.bin')
    expect(files.some((f) => f.startsWith('original/'))).toBe(false)
    // relative links (mountable anywhere)
    const link = join(folder(s.store, TINY), 'snapshots', commit, 'config.json')
    expect((await import('node:fs')).readlinkSync(link)).toMatch(/^\.\.\/\.\.\/blobs\/[0-9a-f]{40}$/)
    expect(done.progress.bytesDone).toBe(done.progress.bytesTotal)
    expect(sim.log.some((e: { origin: string; auth: boolean }) => e.origin === 'hub' && e.auth)).toBe(true)
    expect(sim.log.some((e: { origin: string }) => e.origin === 'cdn')).toBe(true)
    expect(sim.cdnSawAuthorization()).toBe(false)
    const list = await s.models.list()
    expect(list).toHaveLength(1)
    expect(list[0]?.sizeOnDisk).toBeGreaterThan(7_000_000)
    expect(list[0]?.revisions[0]?.refs).toEqual(['main'])
  })

  it('detects a corrupted chunk by sha256 and fetches the file again', async () => {
    s = await makeStore(sim.url)
    sim.faults.corrupt({ route: 'cdn', match: 'model-00002-of-00002', at: 3_000_000 })
    const job = await s.models.pull({ repo: TINY })
    const done = await s.waitJob(job.id, ['done', 'failed'])
    expect(done.state).toBe('done')
    expectValidCache(s.store, TINY)
    const shard = sim.log.filter(
      (e: { origin: string; file?: string }) => e.origin === 'cdn' && e.file === 'model-00002-of-00002.safetensors',
    )
    expect(shard.length).toBeGreaterThanOrEqual(2) // the corrupted body, then the re-fetch
  })

  it('retries 429 (honouring RateLimit t=) on the API and on resolve, and a truncated body', async () => {
    s = await makeStore(sim.url)
    sim.faults.rateLimit({ route: 'api', count: 2, t: 1 })
    sim.faults.rateLimit({ route: 'resolve', match: 'config.json', count: 1, t: 1 })
    sim.faults.truncate({ route: 'cdn', match: 'model-00001', afterBytes: 300_000 })
    const started = Date.now()
    const job = await s.models.pull({ repo: TINY })
    const done = await s.waitJob(job.id, ['done', 'failed'])
    expect(done.state).toBe('done')
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000) // waited for the window
    expect(sim.log.filter((e: { status: number }) => e.status === 429)).toHaveLength(3)
    // the truncated shard resumed with a Range from where it stopped
    expect(
      sim.log.some(
        (e: { file?: string; range?: string }) => e.file === 'model-00001-of-00002.safetensors' && e.range?.startsWith('bytes=300000-'),
      ),
    ).toBe(true)
    expectValidCache(s.store, TINY)
  })

  it('retries a stalled transfer from where it stopped', async () => {
    s = await makeStore(sim.url, { tuning: { stallMs: 800 } })
    sim.faults.stall({ route: 'cdn', match: 'model-00002', afterBytes: 1_000_000, ms: 30_000 })
    const job = await s.models.pull({ repo: TINY })
    const done = await s.waitJob(job.id, ['done', 'failed'])
    expect(done.state).toBe('done')
    expect(
      sim.log.some(
        (e: { file?: string; range?: string }) => e.file === 'model-00002-of-00002.safetensors' && e.range?.startsWith('bytes=1000000-'),
      ),
    ).toBe(true)
    expectValidCache(s.store, TINY)
  })

  it('an expired signed CDN URL is resolved again and the transfer continues', async () => {
    s = await makeStore(sim.url)
    sim.faults.expire({ match: 'model-00002', count: 2 })
    const job = await s.models.pull({ repo: TINY })
    expect((await s.waitJob(job.id, ['done', 'failed'])).state).toBe('done')
    const shard = sim.log.filter((e: LogEntry) => e.file === 'model-00002-of-00002.safetensors')
    expect(shard.filter((e: LogEntry) => e.origin === 'cdn' && e.status === 403)).toHaveLength(2)
    expect(shard.filter((e: LogEntry) => e.route === 'resolve').length).toBeGreaterThanOrEqual(3)
    expectValidCache(s.store, TINY)
  })

  it('survives 5xx, a reset connection and a server that ignores Range (never appends a whole body)', async () => {
    s = await makeStore(sim.url)
    sim.faults.status({ route: 'resolve', match: 'tokenizer.json', code: 503, count: 2 })
    sim.faults.drop({ route: 'cdn', match: 'model-00002', afterBytes: 2_000_000 })
    sim.faults.ignoreRange({ route: 'cdn', match: 'model-00002', count: 5 })
    const job = await s.models.pull({ repo: TINY })
    expect((await s.waitJob(job.id, ['done', 'failed'])).state).toBe('done')
    expect(sim.log.filter((e: LogEntry) => e.status === 503)).toHaveLength(2)
    expect(
      sim.log.filter((e: LogEntry) => e.file === 'model-00002-of-00002.safetensors' && e.origin === 'cdn').length,
    ).toBeGreaterThanOrEqual(2)
    expectValidCache(s.store, TINY)
  })

  it('gated repo: without a token a clear error with the access link; with hf_simtoken it downloads', async () => {
    s = await makeStore(sim.url)
    const err = await errorOf(s.models.pull({ repo: GATED }))
    expect(err).toMatchObject({ code: 'FORBIDDEN' })
    expect(err.message).toMatch(/gated/)
    expect(err.data.fix).toContain(`${sim.url}/${GATED}`)
    s.secrets.set('hfToken', 'hf_simotheruser')
    const err2 = await errorOf(s.models.pull({ repo: GATED }))
    expect(err2.message).toMatch(/no access/)
    expect(err2.data.fix).toContain(`${sim.url}/${GATED}`)
    s.secrets.set('hfToken', 'hf_invalidtoken')
    const err3 = await errorOf(s.models.pull({ repo: GATED }))
    expect(err3.message).toMatch(/token was rejected/)
    s.secrets.set('hfToken', 'hf_simtoken')
    const job = await s.models.pull({ repo: GATED })
    expect((await s.waitJob(job.id, ['done', 'failed'])).state).toBe('done')
    expectValidCache(s.store, GATED)
    expect(sim.cdnSawAuthorization()).toBe(false)
  })

  it('names a missing repo and a missing revision', async () => {
    s = await makeStore(sim.url)
    await expect(s.models.pull({ repo: 'inferadmin-sim/nope' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/inferadmin-sim\/nope was not found/),
    })
    await expect(s.models.pull({ repo: TINY, revision: 'v9' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/Revision "v9" does not exist/),
    })
  })

  it('refuses file names from the Hub that would escape the store', async () => {
    s = await makeStore(sim.url)
    sim.addCommit('inferadmin-sim/tiny-private', { '../../evil.json': '{}' }, { branch: 'evil' })
    s.secrets.set('hfToken', 'hf_simtoken')
    await expect(s.models.pull({ repo: 'inferadmin-sim/tiny-private', revision: 'evil' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/outside the model store/),
    })
    expect(existsSync(join(s.store, '..', 'evil.json'))).toBe(false)
  })
})
