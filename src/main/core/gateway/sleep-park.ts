import { freemem } from 'node:os'
import type { Deployment } from '../../../shared/contract/deployments'
import { parseFootprint, parseSleepFacts, type SleepFacts } from '../planner/footprint-lines'
import type { GatewayBackend } from './backends'
import { sleepChoice } from './sleep-choice'
import { vllmAdmin, VllmAdminError, type VllmAdmin } from './vllm-admin'

/** What one sleep or wake of a deployment showed: vLLM's §1.7 lines, plus the wall time the gateway saw. */
export type SleepRecord = SleepFacts & {
  level: 1 | 2
  event: 'asleep' | 'awake'
  /** Seconds the /sleep call or the whole wake (all its steps) took, as a waiting request sees it. */
  wallSeconds: number
}

/** What sleep mode needs besides the deployments; create-core builds it (see the report of #16). */
export interface SleepDeps {
  /** The container's log lines, oldest first (startup lines for the weights, then the sleep lines). */
  logLines(id: string): Promise<readonly string[]>
  /** Each sleep and wake: the footprint store learns the memory kept while asleep and the wake seconds from it. */
  onSleepFacts?(deploymentId: string, facts: SleepRecord): void
  /** Bytes of host RAM free now (default os.freemem: MemAvailable on Linux). */
  hostFreeBytes?: () => number
  admin?: (endpoint: string) => VllmAdmin
  logger?: { warn(obj: object, msg: string): void }
  /** How long to wait for vLLM's lines to reach the log after a sleep or wake (default 3 s). */
  linesTimeoutMs?: number
}

const count = (lines: readonly string[], re: RegExp): number => lines.reduce((n, l) => n + (re.test(l) ? 1 : 0), 0)
const ASLEEP = /It took \d+(?:\.\d+)? seconds to fall asleep/
const WOKE = /It took \d+(?:\.\d+)? seconds to wake up/

/**
 * Idle deployments parked in vLLM's sleep instead of stopped, and woken for the next request (gateway-facts §1.10).
 * While asleep or waking the backend is not ready (the gateway holds its requests and calls start); the container
 * stays up with its CUDA context and graphs on the GPU (§1.4). A failed sleep falls back to a stop; a failed wake to a
 * stop and a cold start.
 */
export class SleepPark {
  readonly #d: SleepDeps & { changed: () => void }
  readonly #asleep = new Map<string, { level: 1 | 2; containerId: string | null }>()
  readonly #waking = new Map<string, Promise<void>>()
  readonly #unsupported = new Set<string>()
  readonly #weights = new Map<string, number | null>()

  constructor(d: SleepDeps & { changed: () => void }) {
    this.#d = d
  }

  /** The backend as the gateway must see it: 'sleeping' while asleep, 'loading' while waking. */
  view(b: GatewayBackend, d: Deployment): GatewayBackend {
    if (this.#waking.has(b.id)) return { ...b, state: 'loading', endpoint: null }
    const a = this.#asleep.get(b.id)
    if (!a) return b
    if (d.status.state !== 'ready' || d.status.containerId !== a.containerId) {
      this.#asleep.delete(b.id) // the container stopped or was replaced: it no longer sleeps
      return b
    }
    return { ...b, state: 'sleeping', endpoint: null, sleepLevel: a.level }
  }

  isAsleep(id: string): boolean {
    return this.#asleep.has(id)
  }

  forget(id: string): void {
    this.#asleep.delete(id)
  }

  /** Put an idle, ready deployment to sleep; false when it should be stopped instead (or the sleep failed). */
  async park(d: Deployment): Promise<boolean> {
    const { definition: def, status: st } = d
    if (def.sleepMode !== 'auto' || st.state !== 'ready' || !st.endpoint) return false
    const lines = await this.#d.logLines(def.id).catch(() => [] as readonly string[])
    const weightsBytes = this.#weightsOf(d, lines)
    const choice = sleepChoice({
      hostFreeBytes: (this.#d.hostFreeBytes ?? freemem)(),
      weightsBytes,
      sleepEnabled: true,
      imageSupports: !this.#unsupported.has(`${def.id}:${st.containerId}`),
    })
    if (choice === 'stop') return false
    const level = choice === 'level1' ? 1 : 2
    const t0 = Date.now()
    try {
      await this.#admin(st.endpoint).sleep(level)
    } catch (err) {
      if (err instanceof VllmAdminError && err.status === 404) this.#unsupported.add(`${def.id}:${st.containerId}`)
      this.#d.logger?.warn({ err, deployment: def.id }, 'vLLM sleep failed: stopping the deployment instead')
      return false
    }
    const wallSeconds = (Date.now() - t0) / 1000
    this.#asleep.set(def.id, { level, containerId: st.containerId })
    this.#d.changed()
    this.#report(def.id, ASLEEP, count(lines, ASLEEP) + 1, { level, event: 'asleep', wallSeconds })
    return true
  }

  /**
   * Wake a sleeping deployment (the caller checked isAsleep); concurrent calls share one wake. On failure `fallback`
   * stops and starts it cold; the backend shows 'loading' until then, so held requests keep waiting.
   */
  wake(d: Deployment, fallback: () => Promise<void>): Promise<void> {
    const id = d.definition.id
    const running = this.#waking.get(id)
    if (running) return running
    const a = this.#asleep.get(id)!
    const p = (async () => {
      const t0 = Date.now()
      const before = count(await this.#d.logLines(id).catch(() => []), WOKE)
      try {
        if (!d.status.endpoint) throw new Error('no endpoint')
        await this.#admin(d.status.endpoint).wakeUp(a.level)
        this.#asleep.delete(id)
      } catch (err) {
        this.#d.logger?.warn({ err, deployment: id }, 'vLLM wake failed: restarting the deployment')
        this.#asleep.delete(id)
        await fallback()
        return
      } finally {
        this.#waking.delete(id)
        this.#d.changed()
      }
      // Level 2 wakes in two tagged steps.
      this.#report(id, WOKE, before + a.level, { level: a.level, event: 'awake', wallSeconds: (Date.now() - t0) / 1000 })
    })()
    this.#waking.set(id, p)
    this.#d.changed()
    return p
  }

  #admin(endpoint: string): VllmAdmin {
    return (this.#d.admin ?? ((e) => vllmAdmin(e)))(endpoint)
  }

  /** Weights summed over the ranks (each pins its shard), from the startup line of this container. */
  #weightsOf(d: Deployment, lines: readonly string[]): number | null {
    const key = `${d.definition.id}:${d.status.containerId}`
    if (!this.#weights.has(key)) {
      const perRank = parseFootprint(lines).weightsBytes
      const tp = d.definition.tensorParallelSize ?? Math.max(1, d.definition.gpus.length)
      if (perRank !== null) this.#weights.set(key, perRank * tp)
      else return null
    }
    return this.#weights.get(key) ?? null
  }

  /**
   * Report the facts of a sleep or wake once vLLM's lines are in the log — in the background: the caller (an eviction
   * making room, a held request) does not wait for the log.
   */
  #report(id: string, re: RegExp, want: number, e: Pick<SleepRecord, 'level' | 'event' | 'wallSeconds'>): void {
    if (!this.#d.onSleepFacts) return
    void this.#facts(id, re, want).then(
      (facts) => this.#d.onSleepFacts?.(id, { ...facts, ...e }),
      () => undefined,
    )
  }

  /** The sleep facts once `want` of vLLM's lines for this event are in the log (or the wait is over). */
  async #facts(id: string, re: RegExp, want: number): Promise<SleepFacts> {
    const deadline = Date.now() + (this.#d.linesTimeoutMs ?? 3000)
    for (;;) {
      const lines = await this.#d.logLines(id).catch(() => [] as readonly string[])
      if (count(lines, re) >= want || Date.now() > deadline) return parseSleepFacts(lines)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
