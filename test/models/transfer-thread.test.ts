/**
 * The transfer thread (#18): downloads run on a worker thread; the main thread keeps the app's I/O limiter,
 * sees progress and gets the same errors. What the pull tests cannot see: connections are all given back
 * (after a pull and after a cancel), and a thread that dies fails its downloads with a fix, not a hang.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { repoPaths } from '../../src/main/core/models/layout'
import { TransferThread } from '../../src/main/core/models/transfer-thread'
import { IoLimiter } from '../../src/main/core/workers/io-limiter'
import { startHubSim } from '../sim/hub/server.js'
import { FAST_RETRY, makeStore, TINY, until, type Store } from './support'

let sim: Awaited<ReturnType<typeof startHubSim>>
let s: Store | undefined
beforeAll(async () => {
  sim = await startHubSim()
})
afterAll(() => sim.close())
afterEach(async () => {
  sim.faults.clear()
  await s?.dispose()
  s = undefined
})

describe('the transfer thread', () => {
  it('a pull’s connections come from the app’s I/O limiter and are all given back', async () => {
    s = await makeStore(sim.url)
    const job = await s.models.pull({ repo: TINY })
    expect((await s.waitJob(job.id, ['done', 'failed'])).state).toBe('done')
    const io = s.io.stats()
    expect(io.completed).toBeGreaterThanOrEqual(job.progress?.items?.length ?? 1)
    expect([io.active, io.queued]).toEqual([0, 0])
  })

  it('a cancel mid-download gives its connections back too', async () => {
    s = await makeStore(sim.url)
    sim.faults.throttle({ route: 'cdn', match: 'model-00002', bytesPerSec: 1 << 20 })
    const job = await s.models.pull({ repo: TINY })
    await s.waitJob(job.id, ['running'])
    await until(() => (s?.io.stats().active ?? 0) > 0, 10_000, 'a connection in use')
    expect((await s.jobs.cancel(job.id)).state).toBe('cancelled')
    expect(await s.io.close(5000)).toBe('drained')
  })

  it('a thread that dies fails its downloads with what to do, and the next download gets a new thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferadmin-thread-'))
    const crash = join(dir, 'crash.mjs')
    writeFileSync(crash, "import { parentPort } from 'node:worker_threads'\nparentPort.on('message', () => process.exit(3))\n")
    const lines: string[] = []
    const t = new TransferThread({
      entry: { file: crash },
      io: new IoLimiter(2),
      logger: { info: () => {}, warn: (_o, m) => lines.push(m) },
    })
    const spec = { path: 'a.bin', size: 10, etag: 'a'.repeat(40), lfs: false }
    const req = { endpoint: sim.url, repo: TINY, commit: 'c'.repeat(40), retry: FAST_RETRY, stallMs: 1000, chunkSize: 1 << 20 }
    const fetch = (): Promise<void> =>
      t.fetchBlob(repoPaths(dir, TINY), spec, { ...req, signal: new AbortController().signal, onBytes: () => {} })
    await expect(fetch()).rejects.toThrow(/the download thread stopped \(it exited with code 3\); resume the download/)
    await expect(fetch()).rejects.toThrow(/exited with code 3/)
    expect(lines).toEqual(['the transfer thread stopped', 'the transfer thread stopped'])
    await t.dispose()
    await expect(fetch()).rejects.toThrow(/shutting down/)
  })
})
