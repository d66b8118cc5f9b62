/** Where a start or a wake goes and what it must wait for first (pure; PlannerService.decide's placement step). */
import type { EvictionOptions } from './evict'
import type { GpuView, ViewModel } from './gpu-view'
import type { StartNeed } from './need'
import { planPlacement } from './placement'

/** The moment's inputs: the clock, host RAM free (level 1 sleep), planEviction's options with vLLM's max fraction. */
export interface Placing {
  now: number
  hostRamFreeBytes: number
  options: Partial<EvictionOptions> & { maxFraction: number }
}

/**
 * Where `need` goes on `gpus` (a wake: in place, on its own GPUs) and what it must wait for first: a start or wake
 * in progress there (vLLM profiles memory assuming nobody else changes it), busy models to drain, or memory a stop or
 * sleep gave back that the last sample still shows.
 */
export function placeNeed(
  p: Placing,
  o: { name: string; need: StartNeed; self: ViewModel | undefined; v: GpuView; others: ViewModel[]; gpus: GpuView['gpus'] },
) {
  const { name, need, self, v, others, gpus } = o
  // A wake grows back in place to what it held awake, at the utilization it started with: it needs its reservation
  // less what it keeps, which is in `used` and so not in the live free. (Admitted while running — a wake that
  // finished meanwhile — it holds all of it and needs nothing more.) Other programs that grew meanwhile count.
  const wakeBytes = self ? (self.utilization === null ? Math.max(self.reservedBytesPerGpu, need.bytesPerGpu) : self.reservedBytesPerGpu) : 0
  const wake = self ? { bytesPerGpu: wakeBytes, count: self.gpus.length, pinned: self.gpus } : null
  // The live free lacks what memory.used holds of it (its reservation while that sample predates the sleep).
  const inUsed = self ? self.inUsedBytesPerGpu : 0
  const own = self ? gpus.map((g) => (self.gpus.includes(g.index) ? { ...g, freeBytes: g.freeBytes + inUsed } : g)) : gpus
  const placed = planPlacement({
    now: p.now,
    need: { name, ...(wake ?? { bytesPerGpu: need.bytesPerGpu, count: need.count, pinned: need.pinned }) },
    gpus: own,
    models: others,
    hostRamFreeBytes: p.hostRamFreeBytes,
    options: p.options,
  })
  const plan = placed.plan
  const starting = others.filter((m) => (m.state === 'loading' || m.state === 'waking') && m.gpus.some((g) => placed.gpus.includes(g)))
  const candidates = placed.gpus.length ? placed.gpus : (need.pinned ?? gpus.map((g) => g.index))
  const releasing = plan.kind === 'fits' ? [] : candidates.filter((g) => (v.releasingBytes.get(g) ?? 0) > 0)
  const waitFor =
    starting.length > 0
      ? `${starting.map((m) => m.name).join(', ')} ${starting.length === 1 ? 'is' : 'are'} starting on GPU ${placed.gpus.join(', ')}`
      : plan.kind === 'wait'
        ? plan.message
        : releasing.length > 0
          ? `the memory of a stopped or sleeping model is being released on GPU ${releasing.join(', ')}`
          : null
  return { placed, wakeBytes, waitFor, releasing: starting.length === 0 && plan.kind !== 'wait' && releasing.length > 0 }
}
