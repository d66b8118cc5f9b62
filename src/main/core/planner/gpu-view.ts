/**
 * The planner's view of the GPUs now (pure): per GPU the total vLLM sees, live free memory, what other programs hold
 * (memory used minus our containers, from the telemetry's per-process attribution), and our models with what each
 * holds — its planned reservation, or what the telemetry attributes to it when more, or its fixed utilization.
 * A deployment parked in vLLM's sleep (its status still says ready) is 'sleeping' and holds only what it keeps
 * (sleepOf below): its container runs on with its CUDA context and graph pools (gateway-facts §1.4).
 */
import type { Deployment } from '../../../shared/contract/deployments'
import type { GpusSnapshot } from '../../../shared/contract/gpu'
import { heldBytesPerGpu, type PlannerGpu, type PlannerModel, type PlannerModelSleep } from './evict'
import type { LearnedFootprint } from './learned'
import { memoryPolicy } from './need'
import { requestedBytes } from './utilization'

const MiB = 1024 ** 2
const GiB = 1024 ** 3
/** vLLM's own default when a start names no utilization (0.92 from v0.21, 0.9 before). */
export const VLLM_DEFAULT_UTILIZATION = 0.92

/** What the planner reserved for one start (kept until the model is stopped or failed). */
export interface Reservation {
  gpus: number[]
  bytesPerGpu: number
  utilization: number | null
  /** Admitted, the start not issued yet: counts as loading even while the deployment still says stopped. */
  pending: boolean
  /** The deployment was seen active after the start (a later stopped/failed ends the reservation). */
  seenActive: boolean
  at: number
}

export interface Traffic {
  inFlight(id: string): number
  /** Epoch ms of the last request, null if none. */
  lastUsedAt(id: string): number | null
  /** Epoch ms of its recent requests (the gateway keeps the last hour): how likely it is needed soon. */
  requestTimes?(id: string): readonly number[]
}

export interface ViewModel extends PlannerModel {
  name: string
  utilization: number | null
  /** What the snapshot's memory.used holds of it per GPU as counted here (for a wake: add it back to the live free). */
  inUsedBytesPerGpu: number
}

export interface GpuView {
  gpus: PlannerGpu[]
  models: ViewModel[]
  /** GPU UUID → index and back. */
  indexOf: Map<string, number>
  uuidOf: Map<number, string>
  /**
   * Per GPU, memory the telemetry still attributes to our containers whose deployment is stopped or failed, or that
   * memory.used still holds of a model put to sleep after that sample: freed within a sample or two (memory.used lags
   * a stop or a sleep by up to one interval), so admission waits for it.
   */
  releasingBytes: Map<number, number>
}

/** What the planner knows of a deployment besides its status: its learned footprint and its estimate's fixed bytes. */
export interface Known {
  learned?: LearnedFootprint
  estimateFixedBytesPerGpu?: number | null
}

/** A deployment asleep now: the level when the backends know it, and since when the planner saw it asleep (epoch ms). */
export interface Asleep {
  level: 1 | 2 | null
  since: number
}

/** When nothing was learned of what a sleeping model keeps per GPU and its footprint has no graph or non-torch lines. */
export const DEFAULT_SLEEP_KEEPS_BYTES = GiB

/**
 * What sleep mode would keep and cost for deployment `d` (pure); null when it cannot sleep (sleep mode not 'auto').
 * keepsBytesPerGpu: the learned sleepKeptBytesPerGpu, else an estimate: the last load's CUDA-graph pool + non-torch
 * memory (context, NCCL, workspaces: what stays outside the sleep pool, §1.4), at least DEFAULT_SLEEP_KEEPS_BYTES.
 * hostBytes (level 1's pinned copy of the weights, §1.5): the last load's weights × tensor parallel size, else the
 * estimate's fixed bytes × TP, else `fallbackBytesPerGpu` × TP (both over-count the weights: level 1 is then chosen
 * only with room to spare). Wake seconds: the learned mean (the store keeps one mean over both levels), else null
 * (planEviction then takes a fraction of the load seconds).
 */
export function sleepOf(d: Deployment, k: Known | undefined, o: { gpus: number; fallbackBytesPerGpu: number }): PlannerModelSleep | null {
  if (d.definition.sleepMode !== 'auto') return null
  const f = k?.learned
  const last = f?.last ?? null
  const graphsEtc = (last?.cudaGraphBytes ?? 0) + (last?.nonTorchBytes ?? 0)
  const tp = d.definition.tensorParallelSize ?? Math.max(1, o.gpus)
  const perRank = last?.weightsBytes ?? k?.estimateFixedBytesPerGpu ?? o.fallbackBytesPerGpu
  const wake = f?.wakeSeconds ?? null
  return {
    keepsBytesPerGpu: f?.sleepKeptBytesPerGpu ?? Math.max(DEFAULT_SLEEP_KEEPS_BYTES, graphsEtc),
    hostBytes: perRank * tp,
    level1WakeSeconds: wake,
    level2WakeSeconds: wake,
  }
}

const ACTIVE: Record<string, PlannerModel['state'] | undefined> = {
  creating: 'loading',
  starting: 'loading',
  loading: 'loading',
  ready: 'running',
  stopping: 'stopping',
}

/** Bytes vLLM sees as the GPU's total: nvidia-smi total minus driver-reserved (torch's mem_get_info). */
export function torchTotalBytes(g: GpusSnapshot['gpus'][number]): number {
  return Math.max(0, (g.memoryTotalMiB ?? 0) - (g.memory.reservedMiB ?? 0)) * MiB
}

export function gpuView(o: {
  snapshot: GpusSnapshot
  deployments: readonly Deployment[]
  reservations: ReadonlyMap<string, Reservation>
  traffic: Traffic
  loadSeconds?: (id: string) => number | null
  /** Deployments asleep now (from the gateway backends); absent: none. */
  asleep?: ReadonlyMap<string, Asleep>
  known?: (id: string) => Known | undefined
}): GpuView {
  const { snapshot: s } = o
  const indexOf = new Map(s.gpus.map((g) => [g.uuid, g.index]))
  const uuidOf = new Map(s.gpus.map((g) => [g.index, g.uuid]))
  const totals = new Map(s.gpus.map((g) => [g.index, torchTotalBytes(g)]))
  const known = new Set(o.deployments.map((d) => d.definition.id))
  /** Attributed bytes per deployment per GPU. */
  const attributed = new Map<string, Map<number, number>>()
  for (const g of s.gpus)
    for (const c of g.memory.containers) {
      if (!c.deploymentId || !known.has(c.deploymentId)) continue
      const m = attributed.get(c.deploymentId) ?? new Map<number, number>()
      m.set(g.index, (m.get(g.index) ?? 0) + c.usedMiB * MiB)
      attributed.set(c.deploymentId, m)
    }

  const models: ViewModel[] = []
  const unstarted = new Set<string>()
  for (const d of o.deployments) {
    const id = d.definition.id
    const r = o.reservations.get(id)
    const active = ACTIVE[d.status.state] ?? (r?.pending ? 'loading' : undefined)
    if (!active) continue
    const asleep = active === 'running' ? o.asleep?.get(id) : undefined
    // Its wake admitted and not done (the reservation stays pending until the backends' start, which waits for the
    // wake, returns; meanwhile its status says ready, asleep or not): 'waking', holding its reservation and never a
    // victim — else another admission stops it under its wake or takes the memory the wake claims back (CUDA OOM).
    const state = r?.pending && active === 'running' ? 'waking' : asleep ? 'sleeping' : active
    if (!ACTIVE[d.status.state]) unstarted.add(id)
    const seen = attributed.get(id)
    const gpus = r?.gpus ?? (seen?.size ? [...seen.keys()] : d.definition.gpus.map((u) => indexOf.get(u)).filter((i) => i !== undefined))
    if (gpus.length === 0) continue
    const policy = memoryPolicy(d.definition)
    const utilization = r?.utilization ?? (policy.mode === 'fixed' ? policy.utilization : seen?.size ? null : VLLM_DEFAULT_UTILIZATION)
    const byFraction = (g: number): number => (utilization === null ? 0 : requestedBytes(totals.get(g) ?? 0, utilization))
    const bytes = Math.max(...gpus.map((g) => Math.max(r?.bytesPerGpu ?? byFraction(g), seen?.get(g) ?? 0)))
    const t = o.traffic
    let sleep = sleepOf(d, o.known?.(id), { gpus: gpus.length, fallbackBytesPerGpu: bytes })
    if (asleep) {
      // Asleep it holds what it keeps. The compute-apps attribution is sampled on its own, slower clock: taken (when
      // more than the learned or estimated keeps) only from a sample made after the planner saw it asleep; an older
      // one may still show it awake. memory.used is fresh, so whatever the keeps miss counts as other programs' use.
      const sampled = s.gpus.filter((g) => gpus.includes(g.index)).map((g) => (g.memory.appsAt ? Date.parse(g.memory.appsAt) : -Infinity))
      const fresh = seen && Math.min(...sampled) >= asleep.since ? Math.max(...gpus.map((g) => seen.get(g) ?? 0)) : 0
      const keeps = Math.max(sleep?.keepsBytesPerGpu ?? DEFAULT_SLEEP_KEEPS_BYTES, fresh)
      sleep = { ...(sleep ?? { hostBytes: 0 }), keepsBytesPerGpu: keeps, ...(asleep.level ? { level: asleep.level } : {}) }
    }
    // memory.used sampled before the planner saw it asleep may still hold it awake: then count its reservation there.
    const usedFresh = !!asleep && s.at !== null && Date.parse(s.at) >= asleep.since
    const inUsed = asleep && usedFresh ? (sleep?.keepsBytesPerGpu ?? 0) : bytes
    models.push({
      id,
      inUsedBytesPerGpu: inUsed,
      name: d.definition.name,
      utilization,
      gpus,
      reservedBytesPerGpu: bytes,
      state,
      inFlight: t.inFlight(id),
      // Only on-demand models are the gateway's to stop: always-on and hand-started ("off") ones are never evicted.
      alwaysOn: d.definition.serve !== 'on-demand',
      lastUsedAt: t.lastUsedAt(id) ?? (d.status.readyAt ? Date.parse(d.status.readyAt) : null),
      loadSeconds: o.loadSeconds?.(id) ?? null,
      requestTimes: t.requestTimes?.(id) ?? [],
      sleep,
    })
  }

  const releasingBytes = new Map<number, number>()
  const gpus: PlannerGpu[] = s.gpus.map((g) => {
    const used = (g.memoryUsedMiB ?? 0) * MiB
    let ours = 0
    for (const m of models) {
      if (!m.gpus.includes(g.index)) continue
      // What a started model holds is taken as the planner counts it (usableBytes subtracts reservedBytesPerGpu, which
      // is ≥ its attribution): compute apps are sampled less often than memory.used, so right after a model becomes
      // ready its attribution can still be its mid-load size while `used` holds all of it; taking the attribution
      // here made the difference look like other programs' memory and counted it twice. Admitted, not started: 0.
      // Asleep: what it keeps, or its reservation while memory.used predates the sleep (see above).
      const seen = attributed.get(m.id)?.get(g.index) ?? 0
      ours +=
        m.state === 'sleeping' || m.state === 'waking'
          ? m.inUsedBytesPerGpu
          : unstarted.has(m.id)
            ? seen
            : Math.max(seen, m.reservedBytesPerGpu)
    }
    // Asleep, but memory.used (and so the live free) predates the sleep: what the sleep gave back shows in the next
    // sample. Until then the live free lacks it, and admission waits for that sample rather than refuse or evict.
    for (const m of models)
      if (m.state === 'sleeping' && m.gpus.includes(g.index) && m.inUsedBytesPerGpu > heldBytesPerGpu(m))
        releasingBytes.set(g.index, (releasingBytes.get(g.index) ?? 0) + m.inUsedBytesPerGpu - heldBytesPerGpu(m))
    // Containers of ours whose deployment is no longer active (stopping but gone from the list) are in `used` too.
    for (const [id, per] of attributed) {
      if (models.some((m) => m.id === id)) continue
      const bytes = per.get(g.index) ?? 0
      ours += bytes
      if (bytes > 0) releasingBytes.set(g.index, (releasingBytes.get(g.index) ?? 0) + bytes)
    }
    return {
      index: g.index,
      name: g.name,
      totalBytes: totals.get(g.index) ?? 0,
      freeBytes: (g.memoryFreeMiB ?? 0) * MiB,
      externalBytes: Math.max(0, used - ours),
    }
  })
  return { gpus, models, indexOf, uuidOf, releasingBytes }
}
