import { describe, expect, it } from 'vitest'
import type { LearnedFootprint } from './learned'
import { sourceOf } from './need'
import type { Admission } from './planner-service'
import { GiB, MiB, TOTAL_MIB, world } from './planner-world.fixture'

describe('PlannerService.admit', () => {
  it('admits a model that fits, with a computed utilization covering its need, and a second beside it', async () => {
    const w = world()
    w.add('a')
    w.add('b')
    const a = await w.planner.admit('a')
    expect(a).toMatchObject({ kind: 'go', gpus: [0], evictions: [] })
    if (a.kind !== 'go') return
    expect(a.bytesPerGpu).toBeGreaterThanOrEqual(6 * GiB)
    expect(a.utilization).toBeCloseTo((6 * GiB) / (TOTAL_MIB * MiB), 2)
    expect(a.args).toEqual({ '--gpu-memory-utilization': a.utilization })
    w.run('a', a)
    const b = await w.planner.admit('b')
    expect(b).toMatchObject({ kind: 'go', evictions: [] })
    if (b.kind === 'go') expect(a.utilization + b.utilization).toBeLessThanOrEqual(0.95)
    expect(w.planner.log()[0]).toMatchObject({ kind: 'start', model: 'b' })
  })

  it('logs a start with nothing learned as a discovery load, and one with a learned footprint as learned', async () => {
    const w = world()
    w.add('a')
    w.run('a', await w.planner.admit('a'))
    expect(w.planner.log()[0]!.reason).toMatch(
      /^started a on GPU 0 at 0\.\d+ \(.* per GPU: discovery load \(nothing learned yet\), estimated 2\.00 GiB/,
    )
    const fp = { loads: 2, failures: 0, fixedBytesPerGpu: 3 * GiB, kvBytesPerToken: 64 * 1024 } as LearnedFootprint
    expect(sourceOf(fp)).toBe('learned from 2 loads:')
    expect(sourceOf({ ...fp, loads: 0, failures: 1 })).toMatch(/^discovery load .*raised after 1 memory failure:$/)
    expect(sourceOf(undefined)).toMatch(/^discovery load/)
  })

  it('evicts the idle model when the new one does not fit, and logs why', async () => {
    const w = world()
    w.add('a')
    w.add('big', { memory: { mode: 'auto', contextTokens: 8192, sequences: 16 } }) // 2 + 16 GiB
    w.run('a', await w.planner.admit('a'))
    const big = await w.planner.admit('big')
    expect(big).toMatchObject({ kind: 'go', evictions: [{ kind: 'stop', modelId: 'a' }] })
    expect(w.planner.log().map((d) => d.kind)).toEqual(['start', 'evict', 'start'])
    expect(w.planner.log()[1]!.reason).toMatch(/^stopped a: .*reload ~60 s, \d+% likely needed in the next 10 min/)
  })

  it("passes its eviction time constants to planEviction (the benchmark's compressed clock)", async () => {
    const w = world({ options: { eviction: { horizonSeconds: 60, windowSeconds: 360 } } })
    w.add('a')
    w.add('big', { memory: { mode: 'auto', contextTokens: 8192, sequences: 16 } })
    w.run('a', await w.planner.admit('a'))
    expect(await w.planner.admit('big')).toMatchObject({ kind: 'go', evictions: [{ kind: 'stop', modelId: 'a' }] })
    expect(w.planner.log()[1]!.reason).toMatch(/likely needed in the next 1 min/)
  })

  it('wakes a sleeping model in place: it needs only what it gave back, not its whole reservation again', async () => {
    const w = world()
    w.add('a', { args: { '--gpu-memory-utilization': 0.5 } })
    w.add('b', { serve: 'always-on', args: { '--gpu-memory-utilization': 0.4 } })
    const a = await w.planner.admit('a')
    w.run('a', a)
    w.run('b', await w.planner.admit('b'))
    // a asleep: the container runs on with its context and graph pool (3 GiB); the deployment still says ready. The
    // 11.5 GiB free now are less than a's 12 GiB: a fresh start would not fit, the wake needs only 9 GiB more.
    const awake = w.planner.status().gpus[0]!
    expect(awake.reservations).toContainEqual(expect.objectContaining({ name: 'a', state: 'running', bytes: 12 * GiB }))
    w.sleep('a', 1, 3072)
    // Asleep, the status counts only what it keeps, and the 9 GiB it gave back are free for others.
    const asleep = w.planner.status().gpus[0]!
    expect(asleep.reservations).toContainEqual(expect.objectContaining({ name: 'a', state: 'sleeping', bytes: 3 * GiB }))
    expect(asleep.freeBytes).toBeGreaterThanOrEqual(awake.freeBytes + 9 * GiB - MiB)
    const wake = await w.planner.admit('a')
    expect(wake).toMatchObject({ kind: 'go', gpus: [0], evictions: [], utilization: 0.5, holdsBytesPerGpu: 3 * GiB })
    expect(w.planner.log()[0]!.reason).toMatch(/^woke a \(it kept 3\.00 GiB\) on GPU 0 at 0\.5/)
    // Awake again, it would not fit a second time beside b (0.5 + 0.5 + 0.4 > 0.95): the wake is not a new start.
    if (a.kind === 'go' && wake.kind === 'go') expect(wake.bytesPerGpu).toBe(a.bytesPerGpu)
    // Another program took 11 GiB while it slept (more than a gave back): the wake does not fit, and b is always-on.
    w.external[0] = 11_264
    w.changed()
    expect(await w.planner.admit('a')).toMatchObject({ kind: 'cannot-fit' })
  })

  it('starts a sleeping "any GPU" model cold on a free GPU rather than wait for its own GPU to drain; a pinned one waits', async () => {
    for (const [pinned, gpus] of [
      [false, 2],
      [true, 2],
      [false, 1],
    ] as const) {
      const w = world({ gpus, external: [0, 20_000] })
      const where = pinned ? { gpus: ['GPU-0'] } : { gpus: [], placement: { gpus: 'any' as const, count: 1 } }
      w.add('s', { ...where, args: { '--gpu-memory-utilization': 0.5 } })
      w.add('a', { args: { '--gpu-memory-utilization': 0.6 } })
      w.run('s', await w.planner.admit('s'))
      w.sleep('s', 2, 1024)
      w.run('a', await w.planner.admit('a'))
      // GPU 1's other program has gone; a, beside s asleep on GPU 0, is answering a request: s's wake must wait for it.
      w.external[1] = 0
      w.inFlight.set('a', 1)
      w.changed()
      let r: Admission | null = null
      const p = w.planner.admit('s').then((x) => (r = x))
      await new Promise((res) => setImmediate(res))
      // Pinned, or with no other GPU: it waits for the drain and wakes in place.
      if (pinned || gpus === 1) {
        expect(r).toBeNull()
        expect(w.planner.log()[0]).toMatchObject({ kind: 'wait', model: 's' })
        w.inFlight.set('a', 0)
        w.changed()
        expect(await p).toMatchObject({ kind: 'go', gpus: [0], holdsBytesPerGpu: GiB, evictions: [{ kind: 'stop', modelId: 'a' }] })
        continue
      }
      expect(await p).toMatchObject({
        kind: 'go',
        gpus: [1],
        utilization: 0.5,
        holdsBytesPerGpu: 0,
        evictions: [{ kind: 'stop', modelId: 's' }],
      })
      const log = w.planner.log()
      expect(log[0]!.reason).toMatch(/^started s on GPU 1 at 0\.5/)
      expect(log[1]!.reason).toMatch(/^stopped s: asleep on busy GPU 0 \(Waiting for requests to finish.*\), cold start on GPU 1 instead/)
    }
  })

  it('waits for the memory of a model that just stopped instead of evicting or refusing (the telemetry lags a stop)', async () => {
    const w = world()
    w.add('a', { args: { '--gpu-memory-utilization': 0.5 } })
    w.run('a', await w.planner.admit('a'))
    w.lingering.add('a')
    w.stop('a') // stopped; the last sample still shows its 12 GiB
    w.add('c', { args: { '--gpu-memory-utilization': 0.55 } })
    const admitting = w.planner.admit('c')
    await new Promise((r) => setImmediate(r))
    expect(w.planner.log()[0]).toMatchObject({ kind: 'wait', model: 'c' })
    expect(w.planner.log()[0]!.reason).toMatch(/memory of a stopped or sleeping model is being released on GPU 0/)
    w.lingering.delete('a')
    w.dep('a').status = { ...w.dep('a').status, vramMiB: null }
    w.changed() // the next sample: freed
    expect(await admitting).toMatchObject({ kind: 'go', evictions: [] })
  })

  it('waits for the sample after a sleep: the memory a sleeping model gave back is not in the older one', async () => {
    const w = world()
    w.add('a', { args: { '--gpu-memory-utilization': 0.5 }, sleepMode: 'auto' })
    w.add('c', { args: { '--gpu-memory-utilization': 0.6 } })
    w.run('a', await w.planner.admit('a'))
    w.freeze() // the last sample shows a awake (12 GiB)
    w.sleep('a', 1, 1024)
    const admitting = w.planner.admit('c')
    await new Promise((r) => setImmediate(r))
    // 0.5 + 0.6 > 0.95 awake, but asleep a holds 1 GiB: not a refusal nor an eviction, a wait for the next sample.
    expect(w.planner.log()[0]).toMatchObject({ kind: 'wait', model: 'c' })
    expect(w.planner.log()[0]!.reason).toMatch(/memory of a stopped or sleeping model is being released on GPU 0/)
    w.thaw()
    expect(await admitting).toMatchObject({ kind: 'go', evictions: [] })
  })

  it('evicts nothing for a model that is not in the store (its start fails with its own message)', async () => {
    const w = world()
    w.add('a', { args: { '--gpu-memory-utilization': 0.5 } })
    w.add('missing', { args: { '--gpu-memory-utilization': 0.5 } })
    w.run('a', await w.planner.admit('a'))
    expect(await w.planner.admit('missing')).toMatchObject({
      kind: 'pass',
      reason: expect.stringMatching(/not in the model store/) as string,
    })
    expect(w.planner.log().map((d) => d.kind)).toEqual(['pass', 'start']) // newest first: nothing evicted
  })

  it('puts a sleep-capable idle model to sleep rather than stopping it: level 1 while host RAM holds its weights', async () => {
    const w = world()
    w.add('a', { sleepMode: 'auto' })
    w.add('big', { memory: { mode: 'auto', contextTokens: 8192, sequences: 16 } }) // 2 + 16 GiB
    w.run('a', await w.planner.admit('a'))
    // Sleeping a frees all but what it keeps (1 GiB estimated): enough for big, and a wake is ~20 times cheaper.
    expect(await w.planner.admit('big')).toMatchObject({ kind: 'go', evictions: [{ kind: 'sleep', level: 1, modelId: 'a' }] })
    expect(w.planner.log()[1]!.reason).toMatch(/^put a to sleep \(level 1\): .*level 1 wake ~3\.0 s.* \(for big\)$/)
  })

  it('sleeps it at level 2 when host RAM cannot hold its weights, and stops a model whose sleep mode is off', async () => {
    const w = world({ hostFreeBytes: GiB })
    w.add('a', { sleepMode: 'auto' })
    w.add('big', { memory: { mode: 'auto', contextTokens: 8192, sequences: 16 } })
    w.run('a', await w.planner.admit('a'))
    expect(await w.planner.admit('big')).toMatchObject({ kind: 'go', evictions: [{ kind: 'sleep', level: 2, modelId: 'a' }] })
    w.planner.started('big', false)
    w.dep('a').definition.sleepMode = 'off'
    w.changed()
    expect(await w.planner.admit('big')).toMatchObject({ kind: 'go', evictions: [{ kind: 'stop', modelId: 'a' }] })
  })

  it('stops a sleeping model when what it keeps is what blocks a new start', async () => {
    const w = world()
    w.add('a', { sleepMode: 'auto' })
    w.add('big', { memory: { mode: 'auto', contextTokens: 8192, sequences: 16 } })
    w.run('a', await w.planner.admit('a'))
    w.sleep('a', 1, 5120) // keeps 5 GiB: 22.8 − 5 GiB usable < big's 18 GiB
    expect(await w.planner.admit('big')).toMatchObject({
      kind: 'go',
      evictions: [{ kind: 'stop', modelId: 'a', freesBytesPerGpu: 5 * GiB }],
    })
    expect(w.planner.log()[1]!.reason).toMatch(/^stopped a: /)
  })

  it('never evicts an always-on model: refuses with what holds the memory and a Retry-After', async () => {
    const w = world()
    w.add('a', { serve: 'always-on' })
    w.add('big', { memory: { mode: 'auto', contextTokens: 8192, sequences: 16 } })
    w.run('a', await w.planner.admit('a'))
    const r = await w.planner.admit('big')
    expect(r).toMatchObject({ kind: 'cannot-fit', retryAfterSeconds: 60 })
    if (r.kind === 'cannot-fit')
      expect(r.message).toMatch(/Not enough GPU memory to start big: GPU 0 .*held by a \d+\.\d\d GiB \(always-on\)/)
    expect(r).toMatchObject({ fix: 'Stop a (always-on models are never evicted) or set it to on-demand; then start it again.' })
    expect(w.planner.log()[0]).toMatchObject({ kind: 'refuse', model: 'big' })
  })

  it('counts other programs: 3000 MiB of external use added on the GPU is respected by the next admission', async () => {
    const w = world()
    w.add('a', { memory: { mode: 'fixed', utilization: 0.5 } })
    w.add('b', { memory: { mode: 'fixed', utilization: 0.38 } })
    w.run('a', await w.planner.admit('a'))
    w.external[0] = 3000
    w.changed()
    const r = await w.planner.admit('b') // 0.5 + 0.38 fits an empty GPU, not one with 3000 MiB in other hands
    expect(r).toMatchObject({ kind: 'go', evictions: [{ modelId: 'a' }] })
    expect(w.planner.status().gpus[0]).toMatchObject({ externalBytes: 3000 * MiB })
  })

  it('refuses when the external use alone is too big, naming it', async () => {
    const w = world({ external: [20_000] })
    w.add('a')
    const r = await w.planner.admit('a')
    expect(r.kind).toBe('cannot-fit')
    if (r.kind === 'cannot-fit') expect(r.message).toContain('other programs 19.53 GiB')
  })

  it('a refused fixed utilization names the largest that fits beside the other programs (the one-click fix)', async () => {
    const w = world({ external: [3000] })
    w.add('a', { args: { '--gpu-memory-utilization': 0.95 } })
    const r = await w.planner.admit('a')
    // usable = 0.95 × total − 3000 MiB external: 0.95 − 3000 / 24576 = 0.8279… → 0.82
    expect(r).toMatchObject({ kind: 'cannot-fit', fitsUtilization: 0.82 })
  })

  it('refuses only on a sample taken after the admission began: memory let go since the last sample is seen', async () => {
    let at = new Date(Date.now() - 60_000).toISOString()
    const w = world({ external: [20_000], sampledAt: () => at })
    w.add('a')
    let settled: Admission | null = null
    const p = w.planner.admit('a').then((r) => (settled = r))
    await new Promise((r) => setImmediate(r))
    expect(settled).toBeNull()
    // The next sample: the other program let go.
    w.external[0] = 0
    at = new Date().toISOString()
    w.changed()
    expect(await p).toMatchObject({ kind: 'go' })
    // Still held on the fresh sample: refused at once.
    w.planner.started('a', false)
    w.external[0] = 20_000
    at = new Date(Date.now() + 60_000).toISOString()
    expect(await w.planner.admit('a')).toMatchObject({ kind: 'cannot-fit' })
  })

  it('waits for a model with requests in flight to drain before evicting it, never evicting it while busy', async () => {
    const w = world()
    w.add('a')
    w.add('big', { memory: { mode: 'auto', contextTokens: 8192, sequences: 16 } })
    w.run('a', await w.planner.admit('a'))
    w.inFlight.set('a', 1)
    let settled: Admission | null = null
    const p = w.planner.admit('big').then((r) => (settled = r))
    await new Promise((r) => setImmediate(r))
    expect(settled).toBeNull()
    expect(w.planner.log()[0]).toMatchObject({ kind: 'wait', model: 'big' })
    w.inFlight.set('a', 0)
    w.changed()
    expect(await p).toMatchObject({ kind: 'go', evictions: [{ modelId: 'a' }] })
  })

  it('holds a drain wait as long as the drain limit it is given now (the gateway hold limit), then refuses', async () => {
    let now = 1_000_000
    let holdMinutes = 10
    const w = world({ now: () => now, drainLimitMs: () => holdMinutes * 60_000 })
    w.add('a')
    w.add('big', { memory: { mode: 'auto', contextTokens: 8192, sequences: 16 } })
    w.run('a', await w.planner.admit('a'))
    w.inFlight.set('a', 1)
    let settled: Admission | null = null
    const p = w.planner.admit('big').then((r) => (settled = r))
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
    await tick()
    // Past the option's 2 s (and the old fixed 120 s): still held, as the hold limit is 10 min.
    now += 300_000
    w.changed()
    await tick()
    expect(settled).toBeNull()
    expect(w.planner.log()[0]).toMatchObject({ kind: 'wait', model: 'big' })
    now += 300_000
    w.changed()
    expect(await p).toMatchObject({ kind: 'cannot-fit', retryAfterSeconds: 15 })
    expect(w.planner.log()[0]!.reason).toMatch(/waited 600 s/)
    // The limit is read at each admission: a shorter hold limit set later applies to the next one.
    holdMinutes = 1
    const q = w.planner.admit('big')
    await tick()
    now += 61_000
    w.changed()
    expect(await q).toMatchObject({ kind: 'cannot-fit' })
    expect(w.planner.log()[0]!.reason).toMatch(/waited 60 s/)
  })

  it('a wait for a drain on one GPU holds up no admission that fits on another (it leaves the line while it waits)', async () => {
    const w = world({ gpus: 2 })
    w.add('a')
    w.add('big', { memory: { mode: 'auto', contextTokens: 8192, sequences: 16 } })
    w.add('small', { gpus: ['GPU-1'] })
    w.run('a', await w.planner.admit('a'))
    w.inFlight.set('a', 1)
    let big: Admission | null = null
    const p = w.planner.admit('big').then((r) => (big = r))
    await new Promise((r) => setImmediate(r))
    expect(big).toBeNull()
    // GPU 1 is free: 'small' is admitted at once while 'big' still waits for 'a' on GPU 0.
    expect(await w.planner.admit('small')).toMatchObject({ kind: 'go', gpus: [1], evictions: [] })
    expect(big).toBeNull()
    // The wait is logged once, not at every change.
    w.changed()
    w.changed()
    await new Promise((r) => setImmediate(r))
    expect(w.planner.log().filter((d) => d.kind === 'wait' && d.model === 'big')).toHaveLength(1)
    w.inFlight.set('a', 0)
    w.changed()
    expect(await p).toMatchObject({ kind: 'go', gpus: [0], evictions: [{ modelId: 'a' }] })
  })

  it('serialises starts on a GPU: the second admission waits until the first start settles', async () => {
    const w = world()
    w.add('a')
    w.add('b')
    const a = await w.planner.admit('a')
    let second: Admission | null = null
    const p = w.planner.admit('b').then((r) => (second = r))
    await new Promise((r) => setImmediate(r))
    expect(second).toBeNull()
    expect(w.planner.log()[0]!.reason).toMatch(/a is starting on GPU 0/)
    w.run('a', a)
    expect(await p).toMatchObject({ kind: 'go', evictions: [] })
  })

  it('places "any 1 GPU" on the GPU with room, and shows reservations and room for on the status', async () => {
    const w = world({ gpus: 2, external: [20_000, 0] })
    w.add('a', { gpus: [], placement: { gpus: 'any', count: 1 } })
    w.add('b', { gpus: ['GPU-1'] })
    const a = await w.planner.admit('a')
    expect(a).toMatchObject({ kind: 'go', gpus: [1], gpuUuids: ['GPU-1'] })
    w.run('a', a)
    await w.planner.admit('b').then((r) => w.planner.started('b', false) ?? r)
    const s = w.planner.status()
    expect(s.gpus[1]!.reservations).toMatchObject([{ name: 'a', state: 'running' }])
    expect(s.gpus[1]!.roomFor).toEqual(['b'])
    expect(s.gpus[0]!.roomFor).toEqual([])
  })

  it('passes a model without GPUs through unplanned', async () => {
    const w = world()
    w.add('cpu', { gpus: [] })
    expect(await w.planner.admit('cpu')).toMatchObject({ kind: 'pass' })
  })
})
