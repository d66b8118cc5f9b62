/**
 * Which idle models to stop or put to sleep so a new one fits (issue #16 point 5): a pure function, state in →
 * plan out. It minimises the expected cost of bringing the evicted models back — learned load (or wake) seconds ×
 * the probability each is needed within the horizon, from its request rate — not plain LRU. Never a model with
 * requests in flight, never always-on, never one loading. Memory other programs use counts (live free memory).
 *
 * Usable memory per GPU: min(live free, maxFraction × total − other programs − what our models hold), since vLLM
 * checks live free memory at start and its guidance keeps the sum of fractions on a GPU ≤ ~0.95 (vllm-facts §3).
 * A sleeping model still holds its CUDA context and graph pools (gateway-facts §1.4); sleep is offered only when the
 * image and start support it, level 1 only while host RAM holds the weights (§1.5), else level 2.
 */
import { GiB } from './footprint-lines'

export interface PlannerGpu {
  index: number
  name?: string
  totalBytes: number
  /** Live free memory (telemetry): what vLLM's start check sees. */
  freeBytes: number
  /** Memory of processes that are not our models (a game, a notebook). */
  externalBytes: number
}

export interface PlannerModelSleep {
  /** What stays on each GPU while asleep (CUDA context, graph pools, NCCL). */
  keepsBytesPerGpu: number
  /** Pinned host RAM level 1 needs (≈ weights over all ranks). */
  hostBytes: number
  level1WakeSeconds?: number | null
  level2WakeSeconds?: number | null
  /** The level it sleeps at now, when state is 'sleeping'. */
  level?: 1 | 2
}

export interface PlannerModel {
  id: string
  /** What messages call it (the deployment's name); absent: its id. */
  name?: string
  gpus: number[]
  /** What it holds per GPU when awake (its start's requested bytes). */
  reservedBytesPerGpu: number
  state: 'loading' | 'running' | 'sleeping' | 'waking' | 'stopping'
  inFlight: number
  alwaysOn: boolean
  lastUsedAt: number | null
  /** Learned seconds from start to ready; null → options.defaultLoadSeconds. */
  loadSeconds: number | null
  /** Times (ms) of its recent requests. */
  requestTimes: readonly number[]
  /** Null or absent: this image/start cannot sleep. */
  sleep?: PlannerModelSleep | null
}

export interface EvictionOptions {
  /** How far ahead "needed soon" looks. */
  horizonSeconds: number
  /** The request-rate window. */
  windowSeconds: number
  defaultLoadSeconds: number
  /** vLLM's guidance for the sum of fractions on one GPU. */
  maxFraction: number
  allowLevel2: boolean
  /** The cheapest-first candidates the exact search considers (3^n plans). */
  maxCandidates: number
}

export const DEFAULT_EVICTION_OPTIONS: EvictionOptions = {
  horizonSeconds: 600,
  windowSeconds: 3600,
  // VB (gateway-facts §1.6): a restart per switch took 37.6–58.1 s for small models on an A100.
  defaultLoadSeconds: 60,
  maxFraction: 0.95,
  allowLevel2: true,
  maxCandidates: 12,
}

export interface EvictionInput {
  now: number
  need: { name?: string; gpus: readonly number[]; bytesPerGpu: number }
  gpus: readonly PlannerGpu[]
  models: readonly PlannerModel[]
  hostRamFreeBytes: number
  options?: Partial<EvictionOptions>
}

export interface EvictionAction {
  kind: 'stop' | 'sleep'
  modelId: string
  level?: 1 | 2
  gpus: number[]
  freesBytesPerGpu: number
  hostBytes: number
  expectedCostSeconds: number
  reason: string
}

export interface Holder {
  gpu: number
  modelId: string | null
  /** The model's name (messages, the fix); absent for other programs. */
  name?: string
  bytes: number
  why: 'always-on' | 'in-flight' | 'loading' | 'external'
}

export type EvictionPlan =
  | { kind: 'fits'; actions: []; expectedCostSeconds: 0 }
  | { kind: 'evict'; actions: EvictionAction[]; expectedCostSeconds: number }
  | { kind: 'wait'; modelIds: string[]; message: string }
  | { kind: 'cannot-fit'; message: string; holders: Holder[]; retryAfterSeconds: number }

const fmt = (b: number): string => `${(b / GiB).toFixed(2)} GiB`

/** What a model holds per GPU in its present state. */
export function heldBytesPerGpu(m: PlannerModel): number {
  return m.state === 'sleeping' && m.sleep ? m.sleep.keepsBytesPerGpu : m.reservedBytesPerGpu
}

/** Probability the model gets a request within the horizon: Poisson with the rate of its recent requests. */
export function neededSoonProbability(m: PlannerModel, now: number, o: EvictionOptions = DEFAULT_EVICTION_OPTIONS): number {
  const from = now - o.windowSeconds * 1000
  const recent = m.requestTimes.filter((t) => t > from && t <= now).length
  const idle = m.lastUsedAt === null ? o.windowSeconds : Math.max(0, (now - m.lastUsedAt) / 1000)
  // No request in the window: the longer it has been idle, the less likely.
  const rate = recent > 0 ? recent / o.windowSeconds : 1 / (o.windowSeconds + idle)
  return 1 - Math.exp(-rate * o.horizonSeconds)
}

/** maxFraction × total, rounded up as a start's requested bytes are: a fixed utilization of maxFraction fits an empty GPU. */
const capBytes = (g: PlannerGpu, o: EvictionOptions): number => Math.ceil(o.maxFraction * g.totalBytes)

/** Usable bytes per GPU for a new model now (see the header). */
export function usableBytes(input: Pick<EvictionInput, 'gpus' | 'models' | 'options'>): Map<number, number> {
  const o = { ...DEFAULT_EVICTION_OPTIONS, ...input.options }
  const out = new Map<number, number>()
  for (const g of input.gpus) {
    const ours = input.models.filter((m) => m.gpus.includes(g.index)).reduce((s, m) => s + heldBytesPerGpu(m), 0)
    out.set(g.index, Math.min(g.freeBytes, capBytes(g, o) - g.externalBytes - ours))
  }
  return out
}

interface Option {
  action: EvictionAction
}

function options(m: PlannerModel, now: number, o: EvictionOptions): { p: number; stop: Option; sleep1?: Option; sleep2?: Option } {
  const p = neededSoonProbability(m, now, o)
  const load = m.loadSeconds ?? o.defaultLoadSeconds
  const idleMin = m.lastUsedAt === null ? null : Math.round((now - m.lastUsedAt) / 60_000)
  const idle = idleMin === null ? 'never used' : `idle ${idleMin} min`
  const likely = `${Math.round(p * 100)}% likely needed in the next ${Math.round(o.horizonSeconds / 60)} min`
  const mk = (kind: 'stop' | 'sleep', seconds: number, frees: number, level?: 1 | 2, hostBytes = 0): Option => {
    const what = kind === 'stop' ? `reload ~${Math.round(seconds)} s` : `level ${level} wake ~${seconds.toFixed(1)} s`
    const cost = p * seconds
    const action: EvictionAction = {
      kind,
      modelId: m.id,
      gpus: [...m.gpus],
      freesBytesPerGpu: frees,
      hostBytes,
      expectedCostSeconds: cost,
      reason: `${kind === 'stop' ? 'stop' : 'sleep'} ${m.id}: ${idle}, ${what}, ${likely} (expected ${cost.toFixed(1)} s), frees ${fmt(frees)} per GPU`,
    }
    if (level) action.level = level
    return { action }
  }
  if (m.state === 'sleeping') {
    const wake = (m.sleep?.level === 2 ? m.sleep.level2WakeSeconds : m.sleep?.level1WakeSeconds) ?? 0
    return { p, stop: mk('stop', Math.max(0, load - wake), heldBytesPerGpu(m)) }
  }
  const out: ReturnType<typeof options> = { p, stop: mk('stop', load, m.reservedBytesPerGpu) }
  const s = m.sleep
  if (s) {
    const frees = Math.max(0, m.reservedBytesPerGpu - s.keepsBytesPerGpu)
    // VB (§1.6): level 1 wakes in 0.26–0.82 s where a restart takes 37.6–58.1 s, level 2 in 0.85–2.58 s.
    out.sleep1 = mk('sleep', s.level1WakeSeconds ?? load * 0.05, frees, 1, s.hostBytes)
    if (o.allowLevel2) out.sleep2 = mk('sleep', s.level2WakeSeconds ?? load * 0.1, frees, 2)
  }
  return out
}

function shortfall(avail: Map<number, number>, need: EvictionInput['need'], freed: Map<number, number>): boolean {
  return need.gpus.some((g) => (avail.get(g) ?? -Infinity) + (freed.get(g) ?? 0) < need.bytesPerGpu)
}

function describeShort(input: EvictionInput, avail: Map<number, number>, o: EvictionOptions): { message: string; holders: Holder[] } {
  const holders: Holder[] = []
  const parts: string[] = []
  const who = input.need.name ? `${input.need.name} needs` : 'The model needs'
  for (const gi of input.need.gpus) {
    const g = input.gpus.find((x) => x.index === gi)
    if (!g) {
      parts.push(`GPU ${gi} does not exist`)
      continue
    }
    const have = avail.get(gi) ?? 0
    if (have >= input.need.bytesPerGpu) continue
    const label = `GPU ${gi}${g.name ? ` (${g.name})` : ''}`
    const usable = capBytes(g, o)
    const held: string[] = []
    for (const m of input.models.filter((x) => x.gpus.includes(gi))) {
      const why: Holder['why'] | null = m.alwaysOn
        ? 'always-on'
        : m.inFlight > 0
          ? 'in-flight'
          : m.state === 'loading' || m.state === 'waking' || m.state === 'stopping'
            ? 'loading'
            : null
      if (!why) continue
      const called = m.name ?? m.id
      holders.push({ gpu: gi, modelId: m.id, name: called, bytes: heldBytesPerGpu(m), why })
      const note = why === 'in-flight' ? `${m.inFlight} request${m.inFlight === 1 ? '' : 's'} in flight` : why === 'loading' ? m.state : why
      held.push(`${called} ${fmt(heldBytesPerGpu(m))} (${note})`)
    }
    if (g.externalBytes > 0) {
      holders.push({ gpu: gi, modelId: null, bytes: g.externalBytes, why: 'external' })
      held.push(`other programs ${fmt(g.externalBytes)}`)
    }
    const tooBig = input.need.bytesPerGpu > usable
    parts.push(
      tooBig
        ? `${label}: ${who} ${fmt(input.need.bytesPerGpu)}, more than the ${fmt(usable)} usable on it (${o.maxFraction} × ${fmt(g.totalBytes)}): lower its context or concurrency, quantize it, or give it more GPUs`
        : `${label}: ${who} ${fmt(input.need.bytesPerGpu)}, ${fmt(Math.max(0, have))} free; held by ${held.join(', ') || 'nothing that can be stopped'}`,
    )
  }
  return { message: parts.join('; '), holders }
}

/** The eviction plan for `input.need` on its GPUs (see the header). */
export function planEviction(input: EvictionInput): EvictionPlan {
  const o: EvictionOptions = { ...DEFAULT_EVICTION_OPTIONS, ...input.options }
  if (!(input.need.bytesPerGpu >= 0) || input.need.gpus.length === 0)
    throw new Error(`planEviction: need.bytesPerGpu (${input.need.bytesPerGpu}) must be ≥ 0 and need.gpus must name at least one GPU`)
  const avail = usableBytes(input)
  const none = new Map<number, number>()
  if (!shortfall(avail, input.need, none)) return { kind: 'fits', actions: [], expectedCostSeconds: 0 }

  const onNeeded = (m: PlannerModel): boolean => m.gpus.some((g) => input.need.gpus.includes(g))
  const idle = (m: PlannerModel): boolean => !m.alwaysOn && m.inFlight === 0 && (m.state === 'running' || m.state === 'sleeping')
  const candidates = input.models
    .filter((m) => onNeeded(m) && idle(m))
    .map((m) => ({ m, ...options(m, input.now, o) }))
    .sort((a, b) => a.stop.action.expectedCostSeconds - b.stop.action.expectedCostSeconds || (a.m.lastUsedAt ?? 0) - (b.m.lastUsedAt ?? 0))
    .slice(0, o.maxCandidates)

  const add = (freed: Map<number, number>, a: EvictionAction): Map<number, number> => {
    const next = new Map(freed)
    for (const g of a.gpus) next.set(g, (next.get(g) ?? 0) + a.freesBytesPerGpu)
    return next
  }
  const allFreed = candidates.reduce((f, c) => add(f, c.stop.action), none)
  if (shortfall(avail, input.need, allFreed)) {
    // Would draining the busy (non-always-on) models make room? Then wait for them rather than refuse.
    const busy = input.models.filter((m) => onNeeded(m) && !m.alwaysOn && !idle(m) && m.inFlight > 0 && m.state === 'running')
    const withBusy = busy.reduce((f, m) => add(f, options(m, input.now, o).stop.action), allFreed)
    const short = describeShort(input, avail, o)
    if (busy.length > 0 && !shortfall(avail, input.need, withBusy))
      return { kind: 'wait', modelIds: busy.map((m) => m.id), message: `Waiting for requests to finish: ${short.message}` }
    const retry = short.holders.some((h) => h.why === 'in-flight' || h.why === 'loading') ? 15 : 60
    return { kind: 'cannot-fit', message: short.message, holders: short.holders, retryAfterSeconds: retry }
  }

  // Exact search with pruning: each candidate is kept, stopped or put to sleep.
  let best: { actions: EvictionAction[]; cost: number } | null = null
  const better = (cost: number, n: number): boolean =>
    best === null || cost < best.cost - 1e-9 || (Math.abs(cost - best.cost) <= 1e-9 && n < best.actions.length)
  const visit = (i: number, freed: Map<number, number>, chosen: EvictionAction[], cost: number, ram: number): void => {
    if (best !== null && cost > best.cost + 1e-9) return
    if (!shortfall(avail, input.need, freed)) {
      if (better(cost, chosen.length)) best = { actions: chosen, cost }
      return
    }
    if (i >= candidates.length) return
    const c = candidates[i]!
    const choices: EvictionAction[] = [c.stop.action]
    if (c.sleep1 && c.sleep1.action.hostBytes <= ram) choices.push(c.sleep1.action)
    else if (c.sleep2) choices.push(c.sleep2.action)
    for (const a of choices.sort((x, y) => x.expectedCostSeconds - y.expectedCostSeconds))
      visit(i + 1, add(freed, a), [...chosen, a], cost + a.expectedCostSeconds, ram - a.hostBytes)
    visit(i + 1, freed, chosen, cost, ram)
  }
  visit(0, none, [], 0, input.hostRamFreeBytes)
  const found = best as { actions: EvictionAction[]; cost: number } | null
  if (!found) throw new Error('planEviction: no plan although stopping every candidate fits (a bug in the search)')
  return { kind: 'evict', actions: found.actions, expectedCostSeconds: found.cost }
}
