import { mkdtempSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../logging/logger'
import { CpuPool } from './cpu-pool'
import { IoLimiter } from './io-limiter'
import { SOURCE_WORKER_FILE } from './worker-file'

let pool: CpuPool | undefined
afterEach(async () => {
  await pool?.close(2000)
  pool = undefined
})

describe('CpuPool', () => {
  it('hashes a file on a worker thread and counts it', async () => {
    pool = new CpuPool({ workerFile: SOURCE_WORKER_FILE, size: 2, logger: silentLogger() })
    const dir = mkdtempSync(join(tmpdir(), 'pool-'))
    const data = Buffer.alloc(3 * 1024 * 1024, 7)
    writeFileSync(join(dir, 'f'), data)
    const res = await pool.run({ kind: 'sha256File', path: join(dir, 'f') })
    expect(res).toEqual({ sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length })
    const stats = pool.stats()
    expect(stats).toMatchObject({ kind: 'cpu', size: 2, completed: 1, failed: 0, active: 0 })
    expect(stats.runMs.max).toBeGreaterThan(0)
  })

  it('reports queued and active work while busy, then drains on close', async () => {
    pool = new CpuPool({ workerFile: SOURCE_WORKER_FILE, size: 1, logger: silentLogger() })
    const jobs = [pool.run({ kind: 'spin', ms: 150 }), pool.run({ kind: 'spin', ms: 150 }), pool.run({ kind: 'spin', ms: 150 })]
    const busy = pool.stats()
    expect(busy.active + busy.queued).toBe(3)
    const closing = pool.close(5000)
    const results = await Promise.all(jobs)
    await closing
    pool = undefined
    expect(results.every((r) => r.iterations > 0)).toBe(true)
  })

  it('counts failures', async () => {
    pool = new CpuPool({ workerFile: SOURCE_WORKER_FILE, size: 1, logger: silentLogger() })
    await expect(pool.run({ kind: 'parseJson', text: '{nope' })).rejects.toThrow()
    expect(pool.stats().failed).toBe(1)
  })
})

describe('IoLimiter', () => {
  it('never runs more than its concurrency and can be resized live', async () => {
    const io = new IoLimiter(2)
    let running = 0
    let peak = 0
    const releases: (() => void)[] = []
    const task = () =>
      io.run(async () => {
        running++
        peak = Math.max(peak, running)
        await new Promise<void>((r) => releases.push(r))
        running--
      })
    const all = Array.from({ length: 5 }, task)
    await new Promise((r) => setImmediate(r))
    expect(io.stats()).toMatchObject({ active: 2, queued: 3, size: 2 })
    io.resize(4)
    await new Promise((r) => setImmediate(r))
    expect(io.stats().active).toBe(4)
    while (releases.length) {
      releases.shift()?.()
      await new Promise((r) => setImmediate(r))
    }
    await Promise.all(all)
    expect(peak).toBe(4)
    expect(io.stats().completed).toBe(5)
  })

  it('drains running work on close and refuses new work', async () => {
    const io = new IoLimiter(1)
    let release!: () => void
    const running = io.run(() => new Promise<void>((r) => (release = r)))
    await new Promise((r) => setImmediate(r))
    const closing = io.close(5000)
    await expect(io.run(async () => 1)).rejects.toThrow(/shutting down/)
    release()
    await running
    await expect(closing).resolves.toBe('drained')
  })
})
