/**
 * Fan-out of snapshots where every subscriber holds at most ONE pending value: a slow consumer
 * gets the newest snapshot when it asks, never a backlog, and never slows the producer.
 */
export class LatestChannel<T> {
  private readonly subs = new Set<{ pending: T | undefined; wake: (() => void) | undefined }>()

  get subscribers(): number {
    return this.subs.size
  }

  publish(value: T): void {
    for (const s of this.subs) {
      s.pending = value
      const wake = s.wake
      s.wake = undefined
      wake?.()
    }
  }

  /** Yields `initial` (if given) and then the latest value each time the consumer is ready. */
  async *subscribe(signal?: AbortSignal, initial?: T): AsyncGenerator<T> {
    const sub: { pending: T | undefined; wake: (() => void) | undefined } = { pending: initial, wake: undefined }
    this.subs.add(sub)
    const onAbort = (): void => sub.wake?.()
    signal?.addEventListener('abort', onAbort)
    try {
      while (!signal?.aborted) {
        if (sub.pending === undefined) {
          await new Promise<void>((resolve) => (sub.wake = resolve))
          continue
        }
        const value = sub.pending
        sub.pending = undefined
        yield value
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.subs.delete(sub)
    }
  }
}
