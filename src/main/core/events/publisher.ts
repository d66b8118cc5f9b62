import { listenIterator, type ListenOptions } from './listen-iterator'

export interface Disposable {
  dispose(): void
}

/**
 * The one event primitive of the core: services publish, in-process consumers subscribe with a callback, transports
 * stream with an abortable async iterator (snapshot first, then live events, nothing lost in between). A listener that
 * throws is isolated: the others still get the event and the publisher carries on.
 */
export class Publisher<T> {
  readonly #listeners = new Set<(e: T) => void>()
  readonly #onListenerError: (err: unknown) => void

  constructor(o: { onListenerError?: (err: unknown) => void } = {}) {
    this.#onListenerError = o.onListenerError ?? (() => {})
  }

  /** How many listeners are attached (streams included). */
  get size(): number {
    return this.#listeners.size
  }

  publish(e: T): void {
    for (const l of [...this.#listeners]) {
      try {
        l(e)
      } catch (err) {
        this.#onListenerError(err)
      }
    }
  }

  subscribe(listener: (e: T) => void): Disposable {
    const l = (e: T): void => listener(e)
    this.#listeners.add(l)
    return { dispose: () => void this.#listeners.delete(l) }
  }

  /** Events as an async iterator until `signal` aborts or the consumer returns; `initial` items come first. */
  stream(signal?: AbortSignal, o: ListenOptions<T> = {}): AsyncGenerator<T> {
    return listenIterator((push) => this.subscribe(push), signal, o)
  }

  /** Drops every listener (streams end at their next wake-up through their own abort signal). */
  clear(): void {
    this.#listeners.clear()
  }
}

/** Coalescing enqueue for `stream`: a burst of events collapses to the latest one not yet read. */
export function latestOnly<T>(queue: T[], e: T): void {
  queue.length = 0
  queue.push(e)
}

/**
 * Coalescing enqueue for `stream`, per item: an unread event with the same key is replaced in its place by the newer
 * one (the order of first arrival stays); events whose key is undefined are always appended.
 */
export function latestPer<T>(key: (e: T) => string | undefined): (queue: T[], e: T) => void {
  return (queue, e) => {
    const k = key(e)
    const i = k === undefined ? -1 : queue.findIndex((q) => key(q) === k)
    if (i >= 0) queue[i] = e
    else queue.push(e)
  }
}
