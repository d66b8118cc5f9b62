import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Core } from '../../src/main/core/create-core'
import { deleteModelFolder, deleteSnapshot } from '../../src/main/core/models/delete'
import { linkSnapshotFile, repoPaths, writeRef } from '../../src/main/core/models/layout'
import { guardStorePath } from '../../src/main/core/models/store-guard'
import { createTestCore } from '../../src/main/core/test-core'
import { startHeadlessServer, type HeadlessServer } from '../../src/main/server/http-server'
import { startHubSim } from '../sim/hub/server.js'
import { errorOf, makeStore, TINY, type Store } from './support'

const TOKEN = 'store-guard-token-0123456789abcdefghijklmnop'
const COMMIT = 'a'.repeat(40)
const ETAG = 'b'.repeat(40)

describe('model routes refuse org/name that are not Hub ids (no traversal out of the store)', () => {
  let dir: string
  let core: Core
  let server: HeadlessServer
  const auth = { authorization: `Bearer ${TOKEN}` }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inferadmin-guard-'))
    const renderer = join(dir, 'renderer')
    mkdirSync(renderer)
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>InferAdmin</title>')
    core = await createTestCore(dir)
    const opts = { router: core.router, logger: core.logger, version: '0', token: TOKEN, host: '127.0.0.1', port: 0, rendererDir: renderer }
    server = await startHeadlessServer(opts)
  })
  afterAll(async () => {
    await server?.close()
    await core?.dispose()
  })

  /** A directory next to the store (the default store is <dir>/models) that must survive. */
  function victim(): string {
    const v = join(dir, 'victim-outside')
    mkdirSync(join(v, 'snapshots', COMMIT), { recursive: true })
    writeFileSync(join(v, 'precious.txt'), 'keep me')
    mkdirSync(join(dir, 'models'), { recursive: true })
    return v
  }

  const hostile = ['..%2F..%2F..%2Fvictim-outside', '.%2E%2Fx', 'a%2Fb', 'a%00b', 'a%0Ab', 'a%1Bb', '-x', 'a--b', 'a%5Cb', 'a b']
  hostile.push('x'.repeat(97))

  it.each(hostile)('DELETE /api/v1/models/x/%s answers 400 with the declared error shape and removes nothing', async (name) => {
    const v = victim()
    const res = await fetch(`${server.url}/api/v1/models/x/${name}`, { method: 'DELETE', headers: auth })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { code: string; message: string; data: { fix: string; fields: Record<string, string> } }
    expect(body.code).toBe('BAD_REQUEST')
    expect(body.message).toMatch(/name/)
    expect(body.data.fix).toBeTruthy()
    expect(Object.keys(body.data.fields)).toContain('name')
    expect(readFileSync(join(v, 'precious.txt'), 'utf8')).toBe('keep me')
    expect(core.jobs.list()).toEqual([])
  })

  it('POST /api/v1/models/{org}/{name}/update refuses a traversing org or name', async () => {
    const v = victim()
    for (const path of ['..%2F..%2Fvictim-outside/x', 'x/..%2F..%2F..%2Fvictim-outside']) {
      const res = await fetch(`${server.url}/api/v1/models/${path}/update`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{}',
      })
      expect(res.status, path).toBe(400)
      expect(((await res.json()) as { code: string }).code).toBe('BAD_REQUEST')
    }
    expect(existsSync(join(v, 'precious.txt'))).toBe(true)
    expect(core.jobs.list()).toEqual([])
  })

  it('the service itself refuses a repo id with more than one "/" (persisted jobs, other callers)', async () => {
    const v = victim()
    const err = await errorOf(core.models.delete('x/../../../victim-outside', join(dir, 'models')))
    expect(err.code).toBe('BAD_REQUEST')
    expect(err.message).toMatch(/not a model id of the form org\/name/)
    expect(existsSync(join(v, 'precious.txt'))).toBe(true)
  })
})

describe('store guard: no delete or write outside the store location, symbolic links included', () => {
  let home: string
  let store: string
  let outside: string
  const p = (): ReturnType<typeof repoPaths> => repoPaths(store, TINY)

  function setup(): void {
    home = mkdtempSync(join(tmpdir(), 'inferadmin-guard-'))
    store = join(home, 'store')
    outside = join(home, 'outside')
    mkdirSync(outside, { recursive: true })
    writeFileSync(join(outside, 'precious.txt'), 'keep me')
    mkdirSync(p().root, { recursive: true })
  }

  it('accepts paths inside (existing or not) and refuses lexical escapes, links out and dangling links out', async () => {
    setup()
    await expect(guardStorePath(store, join(p().blobs, ETAG), 'write')).resolves.toBe(join(p().blobs, ETAG))
    await expect(guardStorePath(store, join(store, '..', 'outside'), 'remove')).rejects.toThrow(/outside the model store/)
    await expect(guardStorePath(store, store, 'remove')).rejects.toThrow(/outside the model store/)
    symlinkSync(outside, join(p().root, 'blobs'))
    await expect(guardStorePath(store, join(p().blobs, ETAG), 'write')).rejects.toThrow(/resolves to .*outside/)
    // removing the link itself is fine (rm does not follow it); writing through it is not
    await expect(guardStorePath(store, p().blobs, 'remove')).resolves.toBe(p().blobs)
    await expect(guardStorePath(store, p().blobs, 'write')).rejects.toThrow(/outside the model store/)
    mkdirSync(p().snapshots)
    symlinkSync(join(outside, 'not-yet', 'file'), join(p().snapshots, 'dangling'))
    await expect(guardStorePath(store, join(p().snapshots, 'dangling'), 'write')).rejects.toThrow(/outside the model store/)
  })

  it('deleteSnapshot does not follow a refs link out of the store', async () => {
    setup()
    mkdirSync(join(p().snapshots, COMMIT), { recursive: true })
    writeFileSync(join(outside, 'main'), COMMIT)
    symlinkSync(outside, p().refs)
    await expect(deleteSnapshot(store, TINY, COMMIT)).rejects.toThrow(/Refused to remove .*outside the model store/)
    expect(readFileSync(join(outside, 'main'), 'utf8')).toBe(COMMIT)
    expect(readFileSync(join(outside, 'precious.txt'), 'utf8')).toBe('keep me')
  })

  it('deleteSnapshot does not remove blobs through a blobs link out of the store', async () => {
    setup()
    mkdirSync(join(p().snapshots, COMMIT), { recursive: true })
    writeFileSync(join(outside, ETAG), 'not a blob of ours')
    symlinkSync(outside, p().blobs)
    await expect(deleteSnapshot(store, TINY, COMMIT)).rejects.toThrow(/outside the model store/)
    expect(existsSync(join(outside, ETAG))).toBe(true)
  })

  it('deleteModelFolder removes a model folder that is a link, never what it points at', async () => {
    setup()
    const other = join(home, 'store2')
    mkdirSync(other)
    symlinkSync(outside, join(other, 'models--inferadmin-sim--tiny-chat'))
    await deleteModelFolder(other, TINY)
    expect(existsSync(join(other, 'models--inferadmin-sim--tiny-chat'))).toBe(false)
    expect(readFileSync(join(outside, 'precious.txt'), 'utf8')).toBe('keep me')
  })

  it('snapshot links and refs are not written through links out of the store', async () => {
    setup()
    mkdirSync(p().blobs)
    writeFileSync(join(p().blobs, ETAG), '{}')
    mkdirSync(join(p().snapshots, COMMIT), { recursive: true })
    symlinkSync(outside, join(p().snapshots, COMMIT, 'sub'))
    await expect(linkSnapshotFile(p(), COMMIT, 'sub/config.json', ETAG)).rejects.toThrow(/outside the model store/)
    expect(existsSync(join(outside, 'config.json'))).toBe(false)
    await linkSnapshotFile(p(), COMMIT, 'config.json', ETAG)
    expect(readlinkSync(join(p().snapshots, COMMIT, 'config.json'))).toBe(`../../blobs/${ETAG}`)

    symlinkSync(outside, p().refs)
    await expect(writeRef(p(), 'main', COMMIT)).rejects.toThrow(/outside the model store/)
    expect(existsSync(join(outside, 'main'))).toBe(false)
    await expect(linkSnapshotFile(p(), '../../../outside', 'config.json', ETAG)).rejects.toThrow(/not a commit id/)
  })
})

describe('a pull never writes through a planted link', () => {
  let sim: Awaited<ReturnType<typeof startHubSim>>
  let s: Store | undefined
  beforeAll(async () => {
    sim = await startHubSim()
  })
  afterAll(async () => {
    await s?.dispose()
    await sim.close()
  })

  it('a partial download that is a link to a file outside the store fails the pull and leaves that file alone', async () => {
    s = await makeStore(sim.url)
    const plan = await s.models.plan(TINY)
    const commit = plan.commit
    const job0 = await s.models.pull({ repo: TINY, files: ['config.json'] })
    await s.waitJob(job0.id, ['done'])
    const blobs = join(s.store, 'models--inferadmin-sim--tiny-chat', 'blobs')
    // the next file's partial is a link someone planted, pointing at a file of the user's
    const target = join(s.home, 'precious.txt')
    writeFileSync(target, 'keep me')
    const file = (await s.models.hub.files(TINY, commit)).find((f) => f.path === 'tokenizer.json')
    const oid = (file?.lfsSha256 ?? file?.oid) as string
    symlinkSync(target, join(blobs, `${oid}.incomplete`))
    const job = await s.models.pull({ repo: TINY, files: ['tokenizer.json'] })
    const failed = await s.waitJob(job.id, ['done', 'failed'])
    expect(failed.state).toBe('failed')
    expect(failed.error?.message).toMatch(/Refused to write .*outside the model store/)
    expect(readFileSync(target, 'utf8')).toBe('keep me')
    expect(lstatSync(join(blobs, `${oid}.incomplete`)).isSymbolicLink()).toBe(true)
  })
})
