import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startHubSim } from '../sim/hub/server.js'
import { errorOf, makeStore, TINY, type Store } from './support'

type Sim = Awaited<ReturnType<typeof startHubSim>>
type Hostile = Parameters<Sim['faults']['hostile']>[0]
let sim: Sim
let s: Store | undefined

beforeAll(async () => {
  sim = await startHubSim()
})
afterAll(async () => {
  await sim.close()
})
afterEach(async () => {
  sim.faults.clear()
  await s?.dispose()
  s = undefined
})

/** Every entry under `dir` (folders, files, links) with what it is: a snapshot to compare. */
function snapshot(dir: string, out = new Map<string, string>(), base = dir): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name)
    const st = lstatSync(full)
    const key = relative(base, full)
    if (st.isSymbolicLink()) out.set(key, `link → ${readlinkSync(full)}`)
    else if (st.isDirectory()) {
      out.set(key, 'dir')
      snapshot(full, out, base)
    } else out.set(key, `file ${st.size} ${readFileSync(full).toString('base64').slice(0, 64)}`)
  }
  return out
}

/** What changed under `home` outside the store (and the app's own job records). */
function changedOutsideStore(home: string, store: string, before: Map<string, string>): string[] {
  const after = snapshot(home)
  const inStore = (k: string): boolean => `${join(home, k)}/`.startsWith(`${store}/`)
  const own = (k: string): boolean => k === 'jobs' || k.startsWith('jobs/')
  const keys = new Set([...before.keys(), ...after.keys()])
  return [...keys].filter((k) => !inStore(k) && !own(k) && before.get(k) !== after.get(k))
}

/** A store three levels down, so a commit id of "../../../../escaped" would land inside the test's home. */
async function deepStore(): Promise<Store> {
  const st = await makeStore(sim.url)
  const store = join(st.home, 'a', 'b', 'hub')
  st.settings.update({ modelStores: [{ path: store, label: 'Deep' }] })
  return Object.assign(st, { store })
}

const cases: [string, Hostile, RegExp][] = [
  ['a traversing commit id', { field: 'sha', value: '../../../../escaped' }, /invalid commit id "\.\.\/\.\.\/\.\.\/\.\.\/escaped"/],
  ['an upper-case commit id', { field: 'sha', value: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' }, /invalid commit id/],
  ['a commit id that is a number', { field: 'sha', value: 42 }, /invalid commit id "42"/],
  ['a traversing file name', { field: 'path', match: ' config.json', value: '../../../../escaped.json' }, /outside the model store/],
  ['an absolute file name', { field: 'path', match: ' config.json', value: '/tmp/escaped.json' }, /outside the model store/],
  ['a file name with a backslash', { field: 'path', match: ' config.json', value: '..\\..\\escaped.json' }, /outside the model store/],
  ['a file name with control characters', { field: 'path', match: ' config.json', value: 'conf\u0007ig\n.json' }, /control characters/],
  ['a file name too long for a file system', { field: 'path', match: ' config.json', value: `${'y'.repeat(300)}.json` }, /longer/],
  ['a name both file and folder', { field: 'path', match: ' config.json', value: 'tokenizer.json/x' }, /"tokenizer\.json" both as a file/],
  ['the same file twice', { field: 'path', match: ' config.json', value: 'tokenizer.json' }, /the file "tokenizer\.json" twice/],
  ['a traversing git hash', { field: 'oid', match: ' config.json', value: '../../../../../escaped' }, /invalid file hash/],
  ['a short git hash', { field: 'oid', match: ' config.json', value: 'abc' }, /invalid file hash "abc"/],
  ['a sha1 where LFS needs a sha256', { field: 'lfsOid', match: '.safetensors', value: 'c'.repeat(40) }, /invalid LFS file hash/],
  ['a negative size', { field: 'size', match: ' config.json', value: -1 }, /invalid size -1/],
  ['a size beyond safe integers', { field: 'size', match: ' config.json', value: 2 ** 60 }, /invalid size/],
  ['a fractional size', { field: 'size', match: ' config.json', value: 1.5 }, /invalid size 1\.5/],
  ['a size that is text', { field: 'size', match: ' config.json', value: '12' }, /invalid size 12/],
]

describe('values from the Hub are validated before any use (hostile Hub stand-in)', () => {
  it.each(cases)('%s: plan and pull fail naming the value; nothing is written outside the store', async (_what, fault, message) => {
    s = await deepStore()
    const before = snapshot(s.home)
    sim.faults.hostile(fault)
    const planErr = await errorOf(s.models.plan(TINY))
    expect(planErr.code).toBe('BAD_REQUEST')
    expect(planErr.message).toMatch(message)
    expect(planErr.data.fix).toMatch(/Nothing was written/)
    const pullErr = await errorOf(s.models.pull({ repo: TINY }))
    expect(pullErr.message).toMatch(message)
    expect(s.jobs.list()).toEqual([])
    expect(changedOutsideStore(s.home, s.store, before)).toEqual([])
  })

  it('an update check against a Hub lying about the commit reports the error and updates nothing', async () => {
    s = await deepStore()
    const first = await s.models.pull({ repo: TINY })
    expect((await s.waitJob(first.id, ['done', 'failed'])).state).toBe('done')
    const before = snapshot(s.home)
    sim.faults.hostile({ field: 'sha', value: '../../../../escaped' })
    const [m] = await s.models.checkUpdates()
    expect(m?.update).toMatchObject({ updateAvailable: false, error: expect.stringMatching(/invalid commit id/) })
    expect((await errorOf(s.models.update(TINY))).message).toMatch(/invalid commit id/)
    expect(changedOutsideStore(s.home, s.store, before)).toEqual([])
    const storeBefore = [...before].filter(([k]) => join(s!.home, k).startsWith(`${s!.store}/`))
    expect(snapshot(s.store)).toEqual(new Map(storeBefore.map(([k, v]) => [relative(s!.store, join(s!.home, k)), v])))
  })

  it('a download job whose saved parameters were tampered with refuses to start and writes nothing', async () => {
    s = await deepStore()
    const before = snapshot(s.home)
    const files = [{ path: 'config.json', size: 2, etag: 'a'.repeat(40), lfs: false }]
    const params = { repo: TINY, revision: 'main', commit: '../../../../escaped', location: s.store, files }
    const job = s.jobs.start('model.pull', { title: 'tampered', target: TINY, params })
    const failed = await s.waitJob(job.id, ['failed', 'done'])
    expect(failed.state).toBe('failed')
    expect(failed.error?.message).toMatch(/invalid parameters: commit: a 40-hex commit id/)
    expect(changedOutsideStore(s.home, s.store, before)).toEqual([])
  })
})
