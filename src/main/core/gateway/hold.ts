import { isServing, primaryName, type GatewayBackend, type GatewayBackends } from './backends'
import { retryAfterSeconds, type GatewayError } from './openai-error'

/** What one hold (all requests waiting for one backend) knows beyond the backend's own state. */
export interface HoldFacts {
  /** The gateway asked for a start for these requests. */
  startIssued: boolean
  /** While held, the backend was seen creating, starting or loading (so a stop or failure now ends this load). */
  sawProgress: boolean
}

export type HoldStep = { do: 'serve' } | { do: 'start' } | { do: 'wait' } | { do: 'fail'; reason: string }

const PROGRESS = new Set(['creating', 'starting', 'loading'])

/**
 * What to do for requests held for a backend, from its state (pure). Stopped, sleeping or failed: start it once;
 * stopping: wait for it to stop, then start; a stop or failure after the load was seen progressing ends the hold. A
 * `failed` seen before any progress (after our start) is the previous attempt's and is waited past.
 */
export function holdStep(b: GatewayBackend | undefined, f: HoldFacts): HoldStep {
  if (!b) return { do: 'fail', reason: 'its deployment was removed while the request waited' }
  if (b.serve === 'off') return { do: 'fail', reason: 'its deployment was set to serve "off" while the request waited' }
  if (isServing(b)) return { do: 'serve' }
  switch (b.state) {
    case 'stopped':
    case 'sleeping':
      if (f.sawProgress) return { do: 'fail', reason: 'its deployment was stopped while it loaded (by hand or to make room)' }
      return f.startIssued ? { do: 'wait' } : { do: 'start' }
    case 'failed':
      if (f.sawProgress) return { do: 'fail', reason: b.diagnosis?.trim() || 'its deployment failed to start (see its logs in InferAdmin)' }
      return f.startIssued ? { do: 'wait' } : { do: 'start' }
    default:
      return { do: 'wait' }
  }
}

export type HoldOutcome =
  | { ok: true; backend: GatewayBackend; heldMs: number }
  /** error null: the client went away. */
  | { ok: false; error: GatewayError | null }

export interface HoldOptions {
  /** Longest a request is held (default 10 min) → 503 with Retry-After. */
  maxWaitMs: number
  /** Most requests held per model at once; more → 429 with Retry-After. */
  queueLimit: number
  now?: () => number
  /** A start the gateway issued finished: the backend is ready after `ms`. */
  onColdStart?: (b: GatewayBackend, ms: number) => void
}

interface Waiter {
  since: number
  done: (o: HoldOutcome) => void
  onUpdate?: (b: GatewayBackend) => void
}

interface Entry extends HoldFacts {
  name: string
  waiters: Set<Waiter>
  startAt: number
}

/** Requests waiting for backends to load: one start per backend however many wait, woken by change events only. */
export class Holds {
  readonly #backends: GatewayBackends
  /** Kept by reference: the owner may change maxWaitMs and queueLimit later. */
  readonly #o: HoldOptions
  readonly #now: () => number
  readonly #entries = new Map<string, Entry>()

  constructor(backends: GatewayBackends, o: HoldOptions) {
    this.#backends = backends
    this.#o = o
    this.#now = o.now ?? Date.now
  }

  /** Requests held for this backend now. */
  held(id: string): number {
    return this.#entries.get(id)?.waiters.size ?? 0
  }

  /**
   * Hold a request until the backend serves. Answers at once with 429 when the queue is full (so a refusal never
   * lands inside a started stream). `onUpdate` gets the backend on every change while held (load progress).
   */
  hold(
    b: GatewayBackend,
    signal: AbortSignal,
    onUpdate?: (b: GatewayBackend) => void,
  ): { ok: false; error: GatewayError } | { ok: true; done: Promise<HoldOutcome> } {
    const name = primaryName(b)
    if (this.held(b.id) >= this.#o.queueLimit) {
      return {
        ok: false,
        error: {
          status: 429,
          type: 'rate_limit_error',
          code: 'queue_full',
          retryAfterS: retryAfterSeconds(b.etaSeconds, 5),
          message: `${this.#o.queueLimit} requests already wait for the model \`${name}\` to load. Retry shortly.`,
        },
      }
    }
    let entry = this.#entries.get(b.id)
    if (!entry) {
      entry = { name, waiters: new Set(), startIssued: false, sawProgress: false, startAt: this.#now() }
      this.#entries.set(b.id, entry)
    }
    const e = entry
    const done = new Promise<HoldOutcome>((resolve) => {
      const w: Waiter = { since: this.#now(), onUpdate, done: (o) => finish(o) }
      const timer = setTimeout(() => finish({ ok: false, error: this.#timeout(b.id, e.name) }), this.#o.maxWaitMs)
      const onAbort = (): void => finish({ ok: false, error: null })
      const finish = (o: HoldOutcome): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        e.waiters.delete(w)
        if (e.waiters.size === 0 && this.#entries.get(b.id) === e) this.#entries.delete(b.id)
        resolve(o)
      }
      if (signal.aborted) return finish({ ok: false, error: null })
      signal.addEventListener('abort', onAbort, { once: true })
      e.waiters.add(w)
    })
    this.#step(b.id)
    return { ok: true, done }
  }

  /** Re-examine every hold (call on each backends change). */
  update(): void {
    for (const id of [...this.#entries.keys()]) this.#step(id)
  }

  /** Answers every held request with 503 (the gateway is stopping). */
  dispose(): void {
    const error: GatewayError = {
      status: 503,
      type: 'server_error',
      code: 'gateway_stopping',
      retryAfterS: 5,
      message: 'The gateway is stopping.',
    }
    for (const e of [...this.#entries.values()]) for (const w of [...e.waiters]) w.done({ ok: false, error })
    this.#entries.clear()
  }

  #find(id: string): GatewayBackend | undefined {
    return this.#backends.list().find((b) => b.id === id)
  }

  #timeout(id: string, name: string): GatewayError {
    const b = this.#find(id)
    const mins = Math.round((this.#o.maxWaitMs / 60000) * 10) / 10
    const where = b?.phase ? ` (${b.phase}${b.etaSeconds !== undefined ? `, about ${Math.ceil(b.etaSeconds)} s left` : ''})` : ''
    return {
      status: 503,
      type: 'server_error',
      code: 'model_loading',
      retryAfterS: retryAfterSeconds(b?.etaSeconds, 30),
      message: `The model \`${name}\` is still loading after ${mins} min${where}. Retry later, or raise the gateway's maximum wait in Settings.`,
    }
  }

  #fail(id: string, e: Entry, reason: string, retryAfterS?: number): void {
    const error: GatewayError =
      retryAfterS === undefined
        ? {
            status: 503,
            type: 'server_error',
            code: 'model_load_failed',
            message: `The model \`${e.name}\` could not be loaded: ${reason}`,
            // Retrying would start it again at once: the openai SDK honours this (gateway-facts.md §6.4).
            headers: { 'x-should-retry': 'false' },
          }
        : {
            // A start refused for now (the memory planner: GPU memory held by others): retrying later can work.
            status: 503,
            type: 'server_error',
            code: 'insufficient_gpu_memory',
            message: `The model \`${e.name}\` cannot start now: ${reason}`,
            retryAfterS: retryAfterSeconds(retryAfterS, 15),
          }
    if (this.#entries.get(id) === e) this.#entries.delete(id)
    for (const w of [...e.waiters]) w.done({ ok: false, error })
  }

  #step(id: string): void {
    const e = this.#entries.get(id)
    if (!e) return
    const b = this.#find(id)
    if (b && PROGRESS.has(b.state)) e.sawProgress = true
    const step = holdStep(b, e)
    if (step.do === 'fail') return this.#fail(id, e, step.reason)
    if (step.do === 'serve' && b) {
      this.#entries.delete(id)
      const now = this.#now()
      if (e.startIssued) this.#o.onColdStart?.(b, now - e.startAt)
      for (const w of [...e.waiters]) w.done({ ok: true, backend: b, heldMs: now - w.since })
      return
    }
    if (step.do === 'start') {
      e.startIssued = true
      e.startAt = this.#now()
      try {
        const p = this.#backends.start(id)
        if (p && typeof p.then === 'function') p.then(undefined, (err: unknown) => this.#fail(id, e, errorText(err), retryAfterOf(err)))
      } catch (err) {
        return this.#fail(id, e, errorText(err), retryAfterOf(err))
      }
      // start() may have changed the state (and emitted) synchronously: look again (startIssued stops a second start).
      return this.#step(id)
    }
    if (b) for (const w of e.waiters) w.onUpdate?.(b)
  }
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** A start rejection that says when to retry (`retryAfterSeconds`, e.g. the memory planner's refusal). */
const retryAfterOf = (err: unknown): number | undefined => {
  const s = (err as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds
  return typeof s === 'number' && Number.isFinite(s) ? s : undefined
}
