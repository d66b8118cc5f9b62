/**
 * The memory planner (issue #16 points 3–6, 9): admits a start only when its need fits the GPUs' free memory now
 * (other programs count, live from the telemetry), plans evictions of idle models otherwise, refuses with what holds
 * the memory when nothing can make room, and turns footprint + KV budget into this start's --gpu-memory-utilization.
 * Starts on a GPU are serialised: a GPU with a start admitted or loading admits nothing else until it settles.
 * Decisions are pure (placement.ts, evict.ts, utilization.ts, need.ts, gpu-view.ts); this class holds the state.
 */
import { freemem } from 'node:os'
import type { Logger } from 'pino'
import { MEMORY_DEFAULTS, type Deployment } from '../../../shared/contract/deployments'
import type { GpusSnapshot } from '../../../shared/contract/gpu'
import type { PlannerDecision, PlannerStatus } from '../../../shared/contract/planner'
import { latestOnly, Publisher, type Disposable } from '../events/publisher'
import { heldBytesPerGpu, usableBytes, type EvictionAction, type EvictionOptions } from './evict'
import { GiB } from './footprint-lines'
import { gpuView, torchTotalBytes, type Asleep, type GpuView, type Known, type Reservation, type Traffic } from './gpu-view'
import type { FootprintLookup } from './learned'
import type { EstimateSource } from './model-files'
import { nextChange, type ChangeSource } from './next-change'
import { startNeed } from './start-need'
import type { StartNeed } from './need'
import { placeNeed, type Placing } from './place-need'
import { plannerStatus } from './planner-status'
import { CannotFitError, fittingUtilization, refusalFix } from './refusal'
import { requestedBytes, utilizationForGpus } from './utilization'

export { CannotFitError } from './refusal'

export interface PlannerOptions {
  /** vLLM's guidance for the sum of fractions on one GPU. */
  maxFraction: number
  defaultContextTokens: number
  defaultSequences: number
  /**
   * Longest wait for busy models to drain, or for a start on the same GPU to settle, when deps.drainLimitMs is absent.
   * The app passes the gateway's hold limit there, so a held request is refused only once it could not be held longer.
   */
  drainLimitMs: number
  /** Longest wait for the telemetry to show memory an eviction freed. */
  freeWaitMs: number
  /** A reservation whose deployment was never seen active is dropped after this long. */
  reservationGraceMs: number
  /** planEviction's time constants ("needed soon" horizon, request-rate window); absent: its defaults. */
  eviction?: Partial<Pick<EvictionOptions, 'horizonSeconds' | 'windowSeconds'>>
  logSize: number
}

export const DEFAULT_PLANNER_OPTIONS: PlannerOptions = {
  maxFraction: 0.95,
  defaultContextTokens: MEMORY_DEFAULTS.contextTokens,
  defaultSequences: MEMORY_DEFAULTS.sequences,
  drainLimitMs: 120_000,
  freeWaitMs: 20_000,
  reservationGraceMs: 60_000,
  logSize: 200,
}

export interface PlannerDeps {
  footprints: FootprintLookup
  /** The footprint key of a start of `d` on GPUs with these names (fingerprint.ts); null when it cannot be made. */
  fingerprintOf: (d: Deployment, gpuNames: string[]) => Promise<string | null>
  gpus: { snapshot(): GpusSnapshot; onSnapshot(fn: (s: GpusSnapshot) => void): Disposable }
  estimate: EstimateSource
  deployments: { list(): readonly Deployment[]; onChange(fn: () => void): Disposable }
  traffic: Traffic & { onChange(fn: () => void): Disposable }
  /** Deployments parked in vLLM's sleep now, with the level when known (the gateway backends' 'sleeping'); absent: none. */
  sleeping?: { list(): ReadonlyMap<string, 1 | 2 | null>; onChange(fn: () => void): Disposable }
  /** Host RAM free now, for level 1 sleep's pinned copy of the weights (default os.freemem: MemAvailable on Linux). */
  hostFreeBytes?: () => number
  now?: () => number
  /**
   * The drain limit now (read at each admission): create-planner passes the gateway's hold limit
   * (Settings.gatewayMaxWaitMinutes), so a request is held for drains as long as it may be held at all. Absent:
   * options.drainLimitMs.
   */
  drainLimitMs?: () => number
  logger: Pick<Logger, 'info' | 'warn'>
  options?: Partial<PlannerOptions>
}

export type Admission =
  /** Not planned (no GPU, or nothing known of the model): start as configured. */
  | { kind: 'pass'; reason: string }
  | {
      kind: 'go'
      id: string
      gpus: number[]
      gpuUuids: string[]
      /** This start's memory arguments (a fixed utilization is passed as it is). */
      args: Record<string, number>
      utilization: number
      bytesPerGpu: number
      /** What it holds on those GPUs already: a sleeping model's kept memory when this is its wake, else 0. */
      holdsBytesPerGpu: number
      /** Run these first (stop or put to sleep each idle model), then waitFree(), then start. */
      evictions: EvictionAction[]
    }
  /** `fix`: what the user can do about the holders (refusal.ts). */
  | { kind: 'cannot-fit'; message: string; retryAfterSeconds: number; fix: string; fitsUtilization?: number | null }

/** One admission's state across its decisions. */
interface Turn {
  began: number
  limitMs: number
  /** The sample was taken again once before a refusal. */
  resampled: boolean
  /** The last reason it waited for (logged once). */
  waitedFor: string | null
}

/** Decide again on the next change of `from` (default all), or after `ms`. */
type Wait = { kind: 'wait'; ms: number; from?: ChangeSource[] }

const fmt = (b: number): string => `${(b / GiB).toFixed(2)} GiB`

export class PlannerService {
  private readonly o: PlannerOptions
  private readonly now: () => number
  private readonly reservations = new Map<string, Reservation>()
  private readonly needs = new Map<string, { bytesPerGpu: number; count: number; pinned: number[] | null }>()
  private readonly loadSeconds = new Map<string, number | null>()
  /** Per deployment, its learned footprint and estimate as of its last admission (sleep capability in the view). */
  private readonly known = new Map<string, Known>()
  /** Deployments asleep, since when the planner saw them asleep (epoch ms). */
  private readonly asleep = new Map<string, Asleep>()
  private readonly decisions: PlannerDecision[] = []
  private readonly changes = new Publisher<void>()
  private readonly subs: Disposable[]
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly d: PlannerDeps) {
    this.o = { ...DEFAULT_PLANNER_OPTIONS, ...d.options }
    this.now = d.now ?? Date.now
    this.subs = [
      d.gpus.onSnapshot(() => this.changes.publish()),
      d.sleeping?.onChange(() => {
        this.syncSleep()
        this.changes.publish()
      }) ?? { dispose: () => undefined },
      d.deployments.onChange(() => {
        this.sync()
        this.changes.publish()
      }),
    ]
  }

  /**
   * Decide a start of deployment `id`. Decisions run one at a time; one that must wait (a start in progress on its
   * GPUs, busy models to drain, memory being released) leaves the line while it waits — so it holds up no admission
   * that fits elsewhere — and decides again on the next change, until the drain limit.
   */
  async admit(id: string): Promise<Admission> {
    const limitMs = this.d.drainLimitMs?.() ?? this.o.drainLimitMs
    const t: Turn = { began: this.now(), limitMs, resampled: false, waitedFor: null }
    for (;;) {
      const run = this.queue.then(() => this.decide(id, t))
      this.queue = run.catch(() => undefined)
      const r = await run
      if (r.kind !== 'wait') return r
      await nextChange(this.d, Math.max(1, r.ms), r.from)
    }
  }

  /** The start of an admitted model was issued (or failed to be): its reservation follows the deployment from here. */
  started(id: string, ok: boolean): void {
    const r = this.reservations.get(id)
    if (!r) return
    if (!ok) this.reservations.delete(id)
    else r.pending = false
    this.changes.publish()
  }

  /** Resolves once the telemetry shows vLLM's free check will pass for `a` (after evictions); throws after freeWaitMs. */
  async waitFree(a: Extract<Admission, { kind: 'go' }>): Promise<void> {
    const passes = (): boolean => {
      const s = this.d.gpus.snapshot()
      return a.gpus.every((i) => {
        const g = s.gpus.find((x) => x.index === i)
        return !!g && (g.memoryFreeMiB ?? 0) * 1024 ** 2 + a.holdsBytesPerGpu >= requestedBytes(torchTotalBytes(g), a.utilization)
      })
    }
    const until = this.now() + this.o.freeWaitMs
    while (!passes()) {
      if (this.now() >= until) {
        this.reservations.delete(a.id)
        throw new CannotFitError(
          `The memory of GPU ${a.gpus.join(', ')} was not free ${this.o.freeWaitMs / 1000} s after the evictions`,
          15,
        )
      }
      await nextChange(this.d, Math.max(1, until - this.now()), ['gpus'])
    }
  }

  status(): PlannerStatus {
    const s = this.d.gpus.snapshot()
    return plannerStatus({
      snapshot: s,
      view: this.view(),
      needs: this.needs,
      deployments: this.d.deployments.list(),
      maxFraction: this.o.maxFraction,
    })
  }

  /** Decisions, newest first. */
  log(limit = 100): PlannerDecision[] {
    return this.decisions.slice(-limit).reverse()
  }

  onChange(fn: () => void): Disposable {
    return this.changes.subscribe(fn)
  }

  async *watch(signal?: AbortSignal): AsyncGenerator<PlannerStatus> {
    for await (const _ of this.changes.stream(signal, { initial: () => [undefined], enqueue: latestOnly })) yield this.status()
  }

  dispose(): void {
    for (const s of this.subs) s.dispose()
    this.changes.clear()
  }

  private record(kind: PlannerDecision['kind'], model: string, reason: string): void {
    this.decisions.push({ at: new Date(this.now()).toISOString(), kind, model, reason })
    if (this.decisions.length > this.o.logSize) this.decisions.splice(0, this.decisions.length - this.o.logSize)
    this.d.logger.info({ model, kind }, `planner: ${reason}`)
    this.changes.publish()
  }

  /** Drop reservations of models that stopped or failed after their start. */
  private sync(): void {
    const byId = new Map(this.d.deployments.list().map((x) => [x.definition.id, x]))
    for (const [id, r] of this.reservations) {
      const st = byId.get(id)?.status.state
      if (st === undefined) this.reservations.delete(id)
      else if (st !== 'stopped' && st !== 'failed') r.seenActive = true
      else if (!r.pending && (r.seenActive || this.now() - r.at > this.o.reservationGraceMs)) this.reservations.delete(id)
    }
  }

  /** Note which deployments are asleep and since when (the first time the planner saw each asleep). */
  private syncSleep(): void {
    const now = this.d.sleeping?.list() ?? new Map<string, 1 | 2 | null>()
    for (const id of this.asleep.keys()) if (!now.has(id)) this.asleep.delete(id)
    for (const [id, level] of now) this.asleep.set(id, { level, since: this.asleep.get(id)?.since ?? this.now() })
  }

  private view(): GpuView {
    this.sync()
    this.syncSleep()
    return gpuView({
      snapshot: this.d.gpus.snapshot(),
      deployments: this.d.deployments.list(),
      reservations: this.reservations,
      traffic: this.d.traffic,
      loadSeconds: (id) => this.loadSeconds.get(id) ?? null,
      asleep: this.asleep,
      known: (id) => this.known.get(id),
    })
  }

  private need(dep: Deployment, v: GpuView): Promise<StartNeed | { pass: string }> {
    const defaults = { contextTokens: this.o.defaultContextTokens, sequences: this.o.defaultSequences }
    return startNeed(this.d, dep, v, defaults, (known, loadSeconds) => {
      this.known.set(dep.definition.id, known)
      this.loadSeconds.set(dep.definition.id, loadSeconds)
    })
  }

  /** One decision for admission `t` of `id`: an answer, or how long to wait for a change before deciding again. */
  private async decide(id: string, t: Turn): Promise<Admission | Wait> {
    const { began, limitMs } = t
    const deadline = began + limitMs
    const dep = this.d.deployments.list().find((x) => x.definition.id === id)
    if (!dep) throw new Error(`planner: no deployment ${id}`)
    const name = dep.definition.name
    let v = this.view()
    const need = await this.need(dep, v)
    if ('pass' in need) {
      this.record('pass', name, need.pass)
      return { kind: 'pass', reason: need.pass }
    }
    this.needs.set(id, { bytesPerGpu: need.bytesPerGpu, count: need.count, pinned: need.pinned })
    v = this.view()
    const others = v.models.filter((m) => m.id !== id)
    // A wake: its container is up and asleep (the gateway backends say sleeping, the deployment ready); placeNeed
    // places it in place, on its own GPUs.
    const found = v.models.find((m) => m.id === id && (m.state === 'sleeping' || m.state === 'running'))
    let self = found
    let placing = placeNeed(this.placing(), { name, need, self, v, others, gpus: v.gpus })
    // A wake restores in place, so it waits while its GPU drains or settles (unbounded: requests keep coming). A model
    // that may run on any GPUs starts cold where it fits now instead, its sleeping container stopped first.
    let moved: EvictionAction | null = null
    if (found?.state === 'sleeping' && need.pinned === null && placing.waitFor && !placing.releasing) {
      const elsewhere = placeNeed(this.placing(), {
        name,
        need,
        self: undefined,
        v,
        others,
        gpus: v.gpus.filter((g) => !found.gpus.includes(g.index)),
      })
      if (!elsewhere.waitFor && elsewhere.placed.plan.kind !== 'cannot-fit') {
        const reason = `stop ${found.id}: asleep on busy GPU ${found.gpus.join(', ')} (${placing.waitFor}), cold start on GPU ${elsewhere.placed.gpus.join(', ')} instead`
        moved = {
          kind: 'stop',
          modelId: found.id,
          gpus: found.gpus,
          freesBytesPerGpu: heldBytesPerGpu(found),
          hostBytes: 0,
          expectedCostSeconds: 0,
          reason,
        }
        placing = elsewhere
        self = undefined
      }
    }
    const { placed, waitFor } = placing
    const plan = placed.plan
    const held = self ? heldBytesPerGpu(self) : 0
    const wakeBytes = self ? placing.wakeBytes : 0
    if (waitFor) {
      if (this.now() >= deadline) {
        const fix = 'Try again when the GPU is less busy, or stop a model on it.'
        return this.refuse(name, `${waitFor} (waited ${Math.round(limitMs / 1000)} s)`, 15, fix)
      }
      // Logged when the reason changes, not at every sample.
      if (waitFor !== t.waitedFor) this.record('wait', name, waitFor)
      t.waitedFor = waitFor
      return { kind: 'wait', ms: deadline - this.now() }
    }
    if (plan.kind === 'wait') return { kind: 'wait', ms: deadline - this.now() } // (waitFor above)
    if (plan.kind === 'cannot-fit') {
      // Refused only on a sample taken after this admission began (memory may have been let go since the last one).
      const s = this.d.gpus.snapshot()
      if (!t.resampled && s.at !== null && Date.parse(s.at) < began) {
        t.resampled = true
        return { kind: 'wait', ms: 2 * s.intervalMs, from: ['gpus'] }
      }
      const usable = usableBytes({ gpus: v.gpus, models: others, options: { maxFraction: this.o.maxFraction } })
      const on = v.gpus.filter((g) => need.pinned?.includes(g.index)).map((g) => ({ ...g, usableBytes: usable.get(g.index) ?? 0 }))
      const fits = need.fixedUtilization === null ? null : fittingUtilization({ asked: need.fixedUtilization, gpus: on })
      return this.refuse(name, plan.message, plan.retryAfterSeconds, refusalFix(plan.holders), fits)
    }
    const totals = placed.gpus.map((i) => v.gpus.find((g) => g.index === i)!.totalBytes)
    const u =
      self?.utilization ??
      (need.auto
        ? utilizationForGpus(totals, { fixedBytes: need.auto.fixedBytes, kvBytes: need.auto.kvBytes })[0]!.utilization
        : need.fixedUtilization!)
    const bytes = self ? wakeBytes : Math.max(...totals.map((t) => requestedBytes(t, u)))
    const evictions = moved ? [moved, ...plan.actions] : plan.actions
    for (const a of evictions) {
      const victim = v.models.find((m) => m.id === a.modelId)?.name ?? a.modelId
      const what = a.kind === 'sleep' ? `put ${victim} to sleep (level ${a.level ?? 2})` : `stopped ${victim}`
      this.record('evict', name, `${what}${a.reason.slice(`${a.kind} ${a.modelId}`.length)} (for ${name})`)
    }
    this.reservations.set(id, { gpus: placed.gpus, bytesPerGpu: bytes, utilization: u, pending: true, seenActive: false, at: this.now() })
    const why = need.auto ? `${need.auto.detail}` : `fixed utilization`
    const verb = self?.state === 'sleeping' ? `woke ${name} (it kept ${fmt(held)})` : `started ${name}`
    this.record('start', name, `${verb} on GPU ${placed.gpus.join(', ')} at ${u} (${fmt(bytes)} per GPU: ${why})`)
    return {
      kind: 'go',
      id,
      gpus: placed.gpus,
      gpuUuids: placed.gpus.map((i) => v.uuidOf.get(i)!),
      args: { '--gpu-memory-utilization': u },
      utilization: u,
      bytesPerGpu: bytes,
      holdsBytesPerGpu: held,
      evictions,
    }
  }

  private placing(): Placing {
    const hostRamFreeBytes = (this.d.hostFreeBytes ?? freemem)()
    return { now: this.now(), hostRamFreeBytes, options: { ...this.o.eviction, maxFraction: this.o.maxFraction } }
  }

  private refuse(name: string, message: string, retryAfterSeconds: number, fix: string, fitsUtilization: number | null = null): Admission {
    this.record('refuse', name, `refused ${name}: ${message}`)
    return { kind: 'cannot-fit', message: `Not enough GPU memory to start ${name}: ${message}`, retryAfterSeconds, fix, fitsUtilization }
  }
}
