import { describe, expect, it } from 'vitest'
import type { Deployment } from '../../../shared/contract/deployments'
import type { GpusSnapshot } from '../../../shared/contract/gpu'
import { usableBytes } from './evict'
import { DEFAULT_SLEEP_KEEPS_BYTES, gpuView, sleepOf, type Reservation } from './gpu-view'
import type { LearnedFootprint } from './learned'
import { planPlacement } from './placement'

const MiB = 1024 ** 2
const GiB = 1024 ** 3
const TOTAL_MIB = 24_564
const RESERVED_MIB = 1_200
const SMALL = Math.round(5.9 * 1024) // MiB each small model holds when ready

const deployment = (id: string, state: string): Deployment =>
  ({
    definition: {
      id,
      name: id,
      model: { repo: `sim/${id}`, revision: 'main' },
      gpus: ['GPU-0'],
      args: {},
      extraArgs: '',
      serve: 'on-demand',
    },
    status: { state, readyAt: null },
  }) as unknown as Deployment

/** One RTX 4090: `used` from memory.used, per-container use from compute apps (sampled on their own, slower clock). */
function snapshot(usedMiB: number, apps: Record<string, number>): GpusSnapshot {
  const containers = Object.entries(apps).map(([id, usedMiB]) => ({
    containerId: `c-${id}`,
    containerName: id,
    deploymentId: id,
    labels: {},
    pids: [1],
    usedMiB,
  }))
  const free = TOTAL_MIB - RESERVED_MIB - usedMiB
  return {
    status: 'ok',
    at: null,
    intervalMs: 500,
    fault: null,
    gpus: [
      {
        index: 0,
        uuid: 'GPU-0',
        name: 'NVIDIA GeForce RTX 4090',
        memoryTotalMiB: TOTAL_MIB,
        memoryUsedMiB: usedMiB,
        memoryFreeMiB: free,
        utilizationPct: 0,
        powerDrawW: null,
        powerLimitW: null,
        temperatureC: null,
        driverVersion: null,
        memory: { containers, otherMiB: 0, otherProcesses: [], freeMiB: free, reservedMiB: RESERVED_MIB, appsAt: null },
      },
    ],
  }
}

const reservation = (): Reservation => ({ gpus: [0], bytesPerGpu: SMALL * MiB, utilization: 0.26, pending: false, seenActive: true, at: 0 })

function planBig(s: GpusSnapshot) {
  const v = gpuView({
    snapshot: s,
    deployments: [deployment('a', 'ready'), deployment('b', 'ready'), deployment('big', 'stopped')],
    reservations: new Map([
      ['a', reservation()],
      ['b', reservation()],
    ]),
    traffic: { inFlight: () => 0, lastUsedAt: () => 0 },
  })
  return { external: v.gpus[0]!.externalBytes, plan: placeBig(v, 14.7 * GiB) }
}

/** Where a start of big pinned to GPU 0 needing `bytesPerGpu` goes in view `v` (a minute in, no host RAM for sleep). */
function placeBig(v: ReturnType<typeof gpuView>, bytesPerGpu: number) {
  return planPlacement({
    now: 60_000,
    need: { name: 'big', bytesPerGpu, count: 1, pinned: [0] },
    gpus: v.gpus,
    models: v.models,
    hostRamFreeBytes: 0,
  }).plan
}

describe('gpuView + planPlacement: memory of a model that just became ready', () => {
  it('a stale compute-apps sample (b still at its mid-load size) is not taken for other programs: one eviction is enough', () => {
    // memory.used (every 500 ms) already holds all of b; compute apps (every 2 s) still show b with its weights only.
    const r = planBig(snapshot(2 * SMALL, { a: SMALL, b: 1_536 }))
    expect(r.external).toBe(0)
    expect(r.plan.kind).toBe('evict')
    expect(r.plan.kind === 'evict' && r.plan.actions.map((a) => a.modelId)).toHaveLength(1)
  })

  it('the same state with up-to-date attribution plans the same single eviction', () => {
    const r = planBig(snapshot(2 * SMALL, { a: SMALL, b: SMALL }))
    expect(r.external).toBe(0)
    expect(r.plan.kind === 'evict' && r.plan.actions).toHaveLength(1)
  })

  it('real external use stays visible and makes the plan evict both', () => {
    const r = planBig(snapshot(2 * SMALL + 3_000, { a: SMALL, b: SMALL }))
    expect(r.external).toBe(3_000 * MiB)
    expect(r.plan.kind === 'evict' && r.plan.actions).toHaveLength(2)
  })
})

describe('gpuView: request history', () => {
  it("gives the eviction planner each model's recent request times from the gateway (none when it keeps none)", () => {
    const times = [1_000, 30_000, 59_000]
    const v = gpuView({
      snapshot: snapshot(2 * SMALL, { a: SMALL, b: SMALL }),
      deployments: [deployment('a', 'ready'), deployment('b', 'ready')],
      reservations: new Map([
        ['a', reservation()],
        ['b', reservation()],
      ]),
      traffic: { inFlight: () => 0, lastUsedAt: () => 0, requestTimes: (id) => (id === 'a' ? times : []) },
    })
    expect(v.models.find((m) => m.id === 'a')!.requestTimes).toEqual(times)
    expect(v.models.find((m) => m.id === 'b')!.requestTimes).toEqual([])
  })
})

describe('gpuView: a model parked in vLLM sleep', () => {
  const KEPT = 2_048 // MiB a sleeping model keeps (context, graph pool)
  const sleepy = (id: string): Deployment => {
    const d = deployment(id, 'ready')
    return { ...d, definition: { ...d.definition, sleepMode: 'auto' } } as Deployment
  }
  const view = (s: GpusSnapshot, since: number) =>
    gpuView({
      snapshot: s,
      deployments: [sleepy('a'), deployment('b', 'ready')],
      reservations: new Map([
        ['a', reservation()],
        ['b', reservation()],
      ]),
      traffic: { inFlight: () => 0, lastUsedAt: () => 0 },
      asleep: new Map([['a', { level: 1 as const, since }]]),
    })
  /** memory.used: b awake + what a keeps; compute apps sampled at `appsAt` with a at `aApps` MiB. */
  const asleepSnapshot = (aApps: number, appsAt: number): GpusSnapshot => {
    const s = snapshot(SMALL + KEPT, { a: aApps, b: SMALL })
    s.gpus[0]!.memory.appsAt = new Date(appsAt).toISOString()
    s.at = new Date(2_000).toISOString() // memory.used sampled after the sleep
    return s
  }

  it('holds only what it keeps: what it gave back is usable, and nothing is taken for other programs', () => {
    const v = view(asleepSnapshot(KEPT, 2_000), 1_000)
    const a = v.models.find((m) => m.id === 'a')!
    expect(a).toMatchObject({ state: 'sleeping', sleep: { keepsBytesPerGpu: KEPT * MiB, level: 1 } })
    expect(v.gpus[0]!.externalBytes).toBe(0)
    // Usable: 0.95 × total − b − what a keeps (not its whole 5.9 GiB reservation).
    const usable = usableBytes({ gpus: v.gpus, models: v.models })
    const total = v.gpus[0]!.totalBytes
    expect(usable.get(0)).toBeCloseTo(Math.min(v.gpus[0]!.freeBytes, 0.95 * total - SMALL * MiB - KEPT * MiB), -3)
  })

  it('an attribution sampled before the sleep (still awake-sized) is not taken: it holds the estimate of its keeps', () => {
    const v = view(asleepSnapshot(SMALL, 500), 1_000)
    const a = v.models.find((m) => m.id === 'a')!
    // Nothing learned: the estimate (1 GiB); memory.used's other 1 GiB of a shows as other programs' use.
    expect(a.sleep?.keepsBytesPerGpu).toBe(DEFAULT_SLEEP_KEEPS_BYTES)
    expect(v.gpus[0]!.externalBytes).toBe(KEPT * MiB - DEFAULT_SLEEP_KEEPS_BYTES)
  })

  it('a memory.used sample older than the sleep still holds it awake: its reservation is counted there, not other programs', () => {
    const s = snapshot(2 * SMALL, { a: SMALL, b: SMALL })
    s.at = new Date(500).toISOString()
    const v = view(s, 1_000)
    expect(v.gpus[0]!.externalBytes).toBe(0)
    const a = v.models.find((m) => m.id === 'a')!
    expect(a).toMatchObject({ state: 'sleeping', inUsedBytesPerGpu: SMALL * MiB })
  })

  it('asleep or mid-wake with its wake admitted (reservation pending): waking, holding its reservation, never a victim', () => {
    const wakeView = (asleep: boolean) =>
      gpuView({
        snapshot: asleepSnapshot(KEPT, 2_000),
        deployments: [sleepy('a'), deployment('b', 'ready'), deployment('big', 'stopped')],
        reservations: new Map([
          ['a', { ...reservation(), pending: true, seenActive: false }],
          ['b', reservation()],
        ]),
        traffic: { inFlight: () => 0, lastUsedAt: () => 0 },
        ...(asleep ? { asleep: new Map([['a', { level: 1 as const, since: 1_000 }]]) } : {}),
      })
    for (const asleep of [true, false]) {
      const v = wakeView(asleep)
      expect(v.models.find((m) => m.id === 'a')).toMatchObject({ state: 'waking', reservedBytesPerGpu: SMALL * MiB })
      // A start that needs a's memory must not stop a under its wake: only b (idle, running) may go.
      const plan = placeBig(v, 12 * GiB)
      const victims = plan.kind === 'evict' ? plan.actions.map((x) => x.modelId) : []
      expect(victims).not.toContain('a')
    }
  })

  it('a model with sleep mode auto offers sleep with its learned keeps, weights × TP in host RAM and wake seconds', () => {
    const d = sleepy('a')
    const learned = { sleepKeptBytesPerGpu: 3 * GiB, wakeSeconds: 0.8, last: { weightsBytes: 4 * GiB } } as unknown as LearnedFootprint
    expect(sleepOf(d, { learned }, { gpus: 2, fallbackBytesPerGpu: 9 * GiB })).toEqual({
      keepsBytesPerGpu: 3 * GiB,
      hostBytes: 8 * GiB,
      level1WakeSeconds: 0.8,
      level2WakeSeconds: 0.8,
    })
    expect(sleepOf(d, { estimateFixedBytesPerGpu: 5 * GiB }, { gpus: 1, fallbackBytesPerGpu: 9 * GiB })).toMatchObject({
      keepsBytesPerGpu: DEFAULT_SLEEP_KEEPS_BYTES,
      hostBytes: 5 * GiB,
      level1WakeSeconds: null,
    })
    expect(sleepOf(deployment('b', 'ready'), { learned }, { gpus: 1, fallbackBytesPerGpu: 0 })).toBeNull()
  })
})
