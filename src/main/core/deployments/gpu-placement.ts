import type { GpusSnapshot } from '../../../shared/contract/gpu'
import type { GpuService } from '../gpu/gpu-service'
import type { Runtime } from './runtime'

/** MiB a container holds on all GPUs together, from the telemetry's attribution; null when none of it is seen. */
export function containerVram(s: GpusSnapshot, containerId: string): number | null {
  let sum = 0
  let seen = false
  for (const g of s.gpus)
    for (const c of g.memory.containers)
      if (c.containerId === containerId) {
        sum += c.usedMiB
        seen = true
      }
  return seen ? Math.round(sum) : null
}

/**
 * After ready: the container's processes must be on the requested GPUs (compute apps); else a warning on the status.
 * Compute apps are sampled every ~3 GPU intervals (at least 2 s): waits two rounds after ready, with margin.
 */
export function verifyPlacement(rt: Runtime, wanted: string[], gpu: Pick<GpuService, 'snapshot' | 'onSnapshot'>, refreshMs: number): void {
  const readyAt = Date.parse(rt.status.readyAt ?? new Date().toISOString())
  const deadline = Date.now() + Math.max(5000, 7 * refreshMs)
  const check = (s: GpusSnapshot): boolean => {
    if (rt.state !== 'ready') return true
    const fresh = s.gpus.some((g) => g.memory.appsAt && Date.parse(g.memory.appsAt) > readyAt)
    const on = s.gpus.filter((g) => g.memory.containers.some((c) => c.containerId === rt.status.containerId)).map((g) => g.uuid)
    const missing = wanted.filter((u) => !on.includes(u))
    const extra = on.filter((u) => !wanted.includes(u))
    if (fresh && !missing.length && !extra.length) {
      if (rt.status.gpuWarning) rt.patch({ gpuWarning: null })
      return true
    }
    if (Date.now() < deadline) return false
    const names = (uuids: string[]): string =>
      uuids
        .map((u) => {
          const g = s.gpus.find((x) => x.uuid === u)
          return g ? `GPU ${g.index} (${u})` : u
        })
        .join(', ')
    const elsewhere = extra.length ? `; it runs on ${names(extra)}` : ''
    rt.patch({
      gpuWarning:
        s.status === 'fault' || s.status === 'starting'
          ? 'Could not check the GPUs: there is no GPU telemetry (see the Dashboard).'
          : `The model is not on the GPU it was meant for: no process of the container on ${names(missing) || 'the requested GPUs'}${elsewhere}.`,
    })
    return true
  }
  if (check(gpu.snapshot())) return
  const sub = gpu.onSnapshot((s) => {
    if (check(s)) {
      sub.dispose()
      clearTimeout(t)
    }
  })
  const t = setTimeout(
    () => {
      sub.dispose()
      check(gpu.snapshot())
    },
    deadline - Date.now() + 100,
  )
  t.unref()
}
