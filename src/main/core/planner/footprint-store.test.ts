import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../logging/logger'
import { emptyFootprint, GiB, type Footprint } from './footprint-lines'
import { FOOTPRINTS_FILE, FootprintStore } from './footprint-store'

let dir: string
const stores: FootprintStore[] = []
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'inferadmin-footprints-'))))
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.dispose()))
  await rm(dir, { recursive: true, force: true })
})

const open = async (o: { maxKeys?: number } = {}): Promise<FootprintStore> => {
  const s = new FootprintStore({ dataDir: dir, logger: silentLogger(), ...o })
  stores.push(s)
  await s.load()
  return s
}

/** What INFO lines of one start give: weights, graphs (outside the fraction), the profiled KV cache. */
const load = (kvGiB = 6, weightsGiB = 1.2): Footprint => ({
  ...emptyFootprint(),
  weightsBytes: weightsGiB * GiB,
  cudaGraphBytes: 0.1 * GiB,
  cudaGraphSource: 'measured',
  kvCacheBytes: kvGiB * GiB,
  kvCacheSource: 'profiled',
  kvCacheTokens: (kvGiB * GiB) / 114_688,
  loadSeconds: { weights: 0.6, compile: 0.8, profiling: null, graphs: 0.5, engine: 1.4 },
})

describe('FootprintStore', () => {
  it('a load learns the fixed need (requested − KV + graphs outside), KV per token and the load time', async () => {
    const s = await open()
    const f = s.recordLoad('k', load(), { loadSeconds: 3, requestedBytes: 10 * GiB })!
    expect(f.fixedBytesPerGpu).toBe(4.1 * GiB)
    expect(f.kvBytesPerToken).toBeCloseTo(114_688)
    expect(f).toMatchObject({ loads: 1, failures: 0, loadSeconds: 3, kvCacheBytes: 6 * GiB, measuredBytesPerGpu: null })
    expect(f.phases?.engine).toBe(1.4)
    expect(s.get('k')).toEqual(f)
  })

  it('more loads: the mean load time, the largest fixed need, the last KV', async () => {
    const s = await open()
    s.recordLoad('k', load(6), { loadSeconds: 3, requestedBytes: 10 * GiB })
    s.recordLoad('k', load(5), { loadSeconds: 5, requestedBytes: 10 * GiB })
    const f = s.recordLoad('k', load(6.5), { loadSeconds: null, requestedBytes: 10 * GiB })!
    expect(f.loads).toBe(3)
    expect(f.loadSeconds).toBe(4)
    expect(f.fixedBytesPerGpu).toBe(5.1 * GiB)
    expect(f.kvCacheBytes).toBe(6.5 * GiB)
  })

  it('a log that does not tell the fixed need records nothing', async () => {
    const s = await open()
    expect(s.recordLoad('k', { ...emptyFootprint(), weightsBytes: GiB }, { loadSeconds: 2 })).toBeUndefined()
    expect(s.get('k')).toBeUndefined()
  })

  it('measured memory keeps the largest; sleeps average the wake time; unknown keys are left alone', async () => {
    const s = await open()
    expect(s.recordMeasured('k', 9 * GiB)).toBeUndefined()
    s.recordLoad('k', load(), { loadSeconds: 3, requestedBytes: 10 * GiB })
    s.recordMeasured('k', 10.2 * GiB)
    expect(s.recordMeasured('k', 9 * GiB)!.measuredBytesPerGpu).toBe(10.2 * GiB)
    s.recordSleep('k', { wakeSeconds: 2, keptBytesPerGpu: 0.5 * GiB })
    const f = s.recordSleep('k', { wakeSeconds: 4 })!
    expect(f).toMatchObject({ wakeSeconds: 3, wakes: 2, sleepKeptBytesPerGpu: 0.5 * GiB })
  })

  it('a memory failure raises the need by the shortfall plus a margin; free memory changing raises nothing', async () => {
    const s = await open()
    s.recordLoad('k', load(), { loadSeconds: 3, requestedBytes: 10 * GiB })
    const raised = s.raiseAfterFailure('k', { kind: 'cuda-oom', shortBytes: 2 * GiB })!
    expect(raised.fixedBytesPerGpu).toBeCloseTo(4.1 * GiB + 2 * GiB + 0.41 * GiB, -3)
    expect(raised.failures).toBe(1)
    const same = s.raiseAfterFailure('k', { kind: 'free-memory-changed', shortBytes: 0 })!
    expect(same).toMatchObject({ fixedBytesPerGpu: raised.fixedBytesPerGpu, failures: 2, loads: 1 })
    // An unknown key is raised from the estimate the start was planned with, and only then.
    expect(s.raiseAfterFailure('new', { kind: 'cuda-oom', shortBytes: GiB })).toBeUndefined()
    expect(s.raiseAfterFailure('new', { kind: 'cuda-oom', shortBytes: GiB }, { fixedBytes: 4 * GiB })).toMatchObject({
      loads: 0,
      failures: 1,
    })
    // The first successful load replaces a raised estimate with vLLM's own numbers.
    expect(s.recordLoad('new', load(), { loadSeconds: 3, requestedBytes: 10 * GiB })!.fixedBytesPerGpu).toBe(4.1 * GiB)
  })

  it('survives a restart: a new store on the same data dir reads every record back', async () => {
    const s = await open()
    const a = s.recordLoad('a', load(), { loadSeconds: 3, requestedBytes: 10 * GiB })!
    s.recordMeasured('a', 10 * GiB)
    await s.flush()
    const again = await open()
    expect(again.get('a')).toEqual({ ...a, measuredBytesPerGpu: 10 * GiB, updatedAt: again.get('a')!.updatedAt })
    expect(again.problem()).toBeNull()
    expect((await readdir(join(dir, 'planner'))).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('is bounded: past maxKeys the least recently changed record goes', async () => {
    const s = await open({ maxKeys: 2 })
    for (const k of ['a', 'b', 'c']) s.recordLoad(k, load(), { loadSeconds: 1, requestedBytes: 10 * GiB })
    s.recordMeasured('b', 11 * GiB)
    s.recordLoad('d', load(), { loadSeconds: 1, requestedBytes: 10 * GiB })
    expect(s.list().map((f) => f.key)).toEqual(['d', 'b'])
    await s.flush()
    expect((await open({ maxKeys: 2 })).list().map((f) => f.key)).toEqual(['d', 'b'])
  })

  it('a corrupt file is moved aside and reported; invalid records are skipped', async () => {
    await mkdir(join(dir, 'planner'), { recursive: true })
    await writeFile(join(dir, FOOTPRINTS_FILE), '{"version": 1, "footprints": [')
    const s = await open()
    expect(s.list()).toEqual([])
    expect(s.problem()).toMatch(/could not be read and were moved to .*corrupt-/)
    const aside = (await readdir(join(dir, 'planner'))).find((f) => f.includes('corrupt'))!
    expect(await readFile(join(dir, 'planner', aside), 'utf8')).toContain('"footprints"')

    const good = s.recordLoad('ok', load(), { loadSeconds: 1, requestedBytes: 10 * GiB })!
    await s.flush()
    const file = JSON.parse(await readFile(join(dir, FOOTPRINTS_FILE), 'utf8')) as { footprints: unknown[] }
    file.footprints.push({ key: 'bad', fixedBytesPerGpu: 'lots' })
    await writeFile(join(dir, FOOTPRINTS_FILE), JSON.stringify(file))
    const again = await open()
    expect(again.list()).toEqual([good])
    expect(again.problem()).toBeNull()
  })
})
