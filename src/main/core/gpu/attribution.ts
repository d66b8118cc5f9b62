import type { GpuContainerUse, GpuMemorySplit, GpuState } from '../../../shared/contract/gpu'
import type { ComputeApp, GpuRow } from './types'

/** A container a PID belongs to. */
export interface ContainerRef {
  id: string
  name: string
  labels: Record<string, string>
}

/** Maps host PIDs to the containers they run in (PIDs it cannot place are absent). */
export type PidResolver = (pids: number[], signal?: AbortSignal) => Promise<Map<number, ContainerRef>>

export const DEPLOYMENT_LABEL = 'inferadmin.deployment'

/**
 * Splits each GPU's memory into containers (summed over their processes), other use (memory.used
 * minus the containers: processes outside containers, display, driver) and free.
 */
export function attribute(
  rows: GpuRow[],
  apps: { at: number; list: ComputeApp[] } | null,
  owners: ReadonlyMap<number, ContainerRef>,
): GpuState[] {
  return rows.map((row) => {
    const containers = new Map<string, GpuContainerUse>()
    const otherProcesses: { pid: number; usedMiB: number }[] = []
    for (const app of apps?.list ?? []) {
      if (app.gpuUuid !== row.uuid) continue
      const owner = owners.get(app.pid)
      if (!owner) {
        otherProcesses.push({ pid: app.pid, usedMiB: app.usedMiB })
        continue
      }
      let use = containers.get(owner.id)
      if (!use) {
        use = {
          containerId: owner.id,
          containerName: owner.name,
          deploymentId: owner.labels[DEPLOYMENT_LABEL] ?? null,
          labels: owner.labels,
          pids: [],
          usedMiB: 0,
        }
        containers.set(owner.id, use)
      }
      use.pids.push(app.pid)
      use.usedMiB += app.usedMiB
    }
    const total = row.memoryTotalMiB ?? 0
    const used = row.memoryUsedMiB ?? 0
    const free = row.memoryFreeMiB ?? Math.max(0, total - used)
    const list = [...containers.values()].sort((a, b) => b.usedMiB - a.usedMiB)
    // Compute apps run at a slower cadence than memory.used: never let containers exceed used.
    const inContainers = Math.min(
      used,
      list.reduce((s, c) => s + c.usedMiB, 0),
    )
    const memory: GpuMemorySplit = {
      containers: list,
      otherMiB: Math.max(0, used - inContainers),
      otherProcesses,
      freeMiB: free,
      reservedMiB: Math.max(0, total - used - free),
      appsAt: apps ? new Date(apps.at).toISOString() : null,
    }
    return { ...row, memory }
  })
}
