/** The planner's status for the UI (pure): per GPU what other programs and our models hold, what is free, room for. */
import type { Deployment } from '../../../shared/contract/deployments'
import type { GpusSnapshot } from '../../../shared/contract/gpu'
import type { PlannerStatus } from '../../../shared/contract/planner'
import { heldBytesPerGpu, usableBytes } from './evict'
import type { GpuView } from './gpu-view'

export function plannerStatus(o: {
  snapshot: GpusSnapshot
  view: GpuView
  /** The last computed need of each deployment (bytes per GPU, GPU count, pinned indices). */
  needs: ReadonlyMap<string, { bytesPerGpu: number; count: number; pinned: number[] | null }>
  deployments: readonly Deployment[]
  maxFraction: number
}): PlannerStatus {
  const { view } = o
  const usable = usableBytes({ gpus: view.gpus, models: view.models, options: { maxFraction: o.maxFraction } })
  const active = new Set(view.models.map((m) => m.id))
  return {
    at: o.snapshot.at,
    gpus: view.gpus.map((g) => {
      const free = Math.max(0, usable.get(g.index) ?? 0)
      const roomFor = o.deployments
        .filter((d) => !active.has(d.definition.id) && d.definition.serve !== 'off')
        .filter((d) => {
          const n = o.needs.get(d.definition.id)
          return !!n && n.count === 1 && (!n.pinned || n.pinned.includes(g.index)) && n.bytesPerGpu <= free
        })
        .map((d) => d.definition.name)
      return {
        index: g.index,
        name: g.name ?? `GPU ${g.index}`,
        totalBytes: g.totalBytes,
        externalBytes: g.externalBytes,
        // What it holds now: asleep only what it keeps (the rest is free for others, as usableBytes counts it).
        reservations: view.models
          .filter((m) => m.gpus.includes(g.index))
          .map((m) => ({ deploymentId: m.id, name: m.name, bytes: heldBytesPerGpu(m), utilization: m.utilization, state: m.state })),
        freeBytes: free,
        roomFor,
      }
    }),
  }
}
