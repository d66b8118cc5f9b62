import { isServing, type GatewayBackend, type GatewayBackends } from './backends'

/** What the idle rule needs to know of one backend's traffic. */
export interface IdleFacts {
  /** Requests in flight or held for it. */
  active: number
  /** When the last request ended (ms), null if none yet. */
  lastEndAt: number | null
  /** When the gateway first saw it ready this time (ms), null while it is not. */
  readyAt: number | null
}

/**
 * When the backend is unloaded for being idle (ms), or null for never (pure): only on-demand backends with
 * idleMinutes > 0 that serve, counted from the end of the last request (or from becoming ready, if no request
 * came since), never while a request is in flight or held.
 */
export function idleDeadline(b: GatewayBackend, f: IdleFacts): number | null {
  if (b.serve !== 'on-demand' || !b.idleMinutes || b.idleMinutes <= 0) return null
  if (!isServing(b) || f.active > 0 || f.readyAt === null) return null
  return Math.max(f.lastEndAt ?? 0, f.readyAt) + b.idleMinutes * 60_000
}

interface Track extends IdleFacts {
  lastUsedAt: number | null
  /** When its recent requests arrived (ms, oldest first): the planner's "needed soon" (evict.ts). */
  arrivals: number[]
  timer: ReturnType<typeof setTimeout> | null
  deadline: number | null
}

export interface IdleOptions {
  now?: () => number
  /** The gateway asked the backend to stop for being idle (metrics). */
  onUnload?: (b: GatewayBackend) => void
  /** A stop that failed (logged by the caller). */
  onError?: (b: GatewayBackend, err: unknown) => void
}

const MAX_TIMEOUT = 2 ** 31 - 1
/** How far back request arrivals are kept, and how many at most (the planner's rate window is an hour). */
export const ARRIVALS_WINDOW_MS = 3_600_000
const MAX_ARRIVALS = 1024

/** One timer per backend that is idle-unloadable; re-armed on every request end and backend change. */
export class IdleTimers {
  readonly #backends: GatewayBackends
  readonly #o: IdleOptions & { now: () => number }
  readonly #tracks = new Map<string, Track>()

  constructor(backends: GatewayBackends, o: IdleOptions = {}) {
    this.#backends = backends
    this.#o = { now: Date.now, ...o }
  }

  #track(id: string): Track {
    let t = this.#tracks.get(id)
    if (!t) {
      t = { active: 0, lastEndAt: null, readyAt: null, lastUsedAt: null, arrivals: [], timer: null, deadline: null }
      this.#tracks.set(id, t)
    }
    return t
  }

  /** A request for this backend arrived (it counts until end(), held or in flight). */
  begin(id: string): void {
    const t = this.#track(id)
    t.active++
    t.lastUsedAt = this.#o.now()
    t.arrivals.push(t.lastUsedAt)
    this.#prune(t)
    this.#arm(id)
  }

  /** When its requests of the last hour arrived (ms, oldest first; at most the latest 1024). */
  arrivals(id: string): number[] {
    const t = this.#tracks.get(id)
    if (!t) return []
    this.#prune(t)
    return [...t.arrivals]
  }

  #prune(t: Track): void {
    const from = this.#o.now() - ARRIVALS_WINDOW_MS
    let drop = 0
    while (drop < t.arrivals.length && t.arrivals[drop]! <= from) drop++
    drop = Math.max(drop, t.arrivals.length - MAX_ARRIVALS)
    if (drop > 0) t.arrivals.splice(0, drop)
  }

  end(id: string): void {
    const t = this.#track(id)
    t.active = Math.max(0, t.active - 1)
    t.lastEndAt = t.lastUsedAt = this.#o.now()
    this.#arm(id)
  }

  active(id: string): number {
    return this.#tracks.get(id)?.active ?? 0
  }

  lastUsedAt(id: string): number | null {
    return this.#tracks.get(id)?.lastUsedAt ?? null
  }

  /** When it will be unloaded if nothing comes (ms), or null. */
  deadline(id: string): number | null {
    return this.#tracks.get(id)?.deadline ?? null
  }

  /** Re-examine every backend (call on each backends change). */
  update(): void {
    const seen = new Set<string>()
    for (const b of this.#backends.list()) {
      seen.add(b.id)
      const t = this.#track(b.id)
      if (!isServing(b)) t.readyAt = null
      else if (t.readyAt === null) t.readyAt = this.#o.now()
      this.#arm(b.id, b)
    }
    for (const [id, t] of this.#tracks) {
      if (seen.has(id) || t.active > 0) continue
      if (t.timer) clearTimeout(t.timer)
      this.#tracks.delete(id)
    }
  }

  dispose(): void {
    for (const t of this.#tracks.values()) if (t.timer) clearTimeout(t.timer)
    this.#tracks.clear()
  }

  #arm(id: string, known?: GatewayBackend): void {
    const t = this.#track(id)
    const b = known ?? this.#backends.list().find((x) => x.id === id)
    const deadline = b ? idleDeadline(b, t) : null
    if (deadline === t.deadline && (t.timer !== null || deadline === null)) return
    if (t.timer) clearTimeout(t.timer)
    t.timer = null
    t.deadline = deadline
    if (deadline === null) return
    t.timer = setTimeout(() => this.#fire(id), Math.min(MAX_TIMEOUT, Math.max(0, deadline - this.#o.now())))
    t.timer.unref?.()
  }

  #fire(id: string): void {
    const t = this.#tracks.get(id)
    if (!t) return
    t.timer = null
    const b = this.#backends.list().find((x) => x.id === id)
    const deadline = b ? idleDeadline(b, t) : null
    if (!b || deadline === null) return void (t.deadline = null)
    if (deadline > this.#o.now()) return this.#arm(id, b)
    t.deadline = null
    // Not serving any more from here on; the backend's change event brings readyAt back to null.
    t.readyAt = null
    this.#o.onUnload?.(b)
    this.#backends.stop(id, 'idle').catch((err: unknown) => this.#o.onError?.(b, err))
  }
}
