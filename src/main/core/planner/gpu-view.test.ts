import { describe, expect, it } from 'vitest'
import type { Deployment } from '../../../shared/contract/deployments'
import type { GpusSnapshot } from '../../../shared/contract/gpu'
import { gpuView, type Reservation } from './gpu-view'
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
  const placed = planPlacement({
    now: 60_000,
    need: { name: 'big', bytesPerGpu: 14.7 * GiB, count: 1, pinned: [0] },
    gpus: v.gpus,
    models: v.models,
    hostRamFreeBytes: 0,
  })
  return { external: v.gpus[0]!.externalBytes, plan: placed.plan }
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
