export interface ListenOptions<T> {
  /** Items yielded first, taken right after subscribing so nothing falls between them and the live events. */
  initial?: () => Iterable<T> | Promise<Iterable<T>>
  /** How a new event joins the queue (append by default; replace an older one to coalesce bursts). */
  enqueue?: (queue: T[], e: T) => void
}

/** Turns a listener subscription into an async iterator that ends on abort or when the consumer returns. */
export async function* listenIterator<T>(
  subscribe: (push: (e: T) => void) => { dispose(): void },
  signal: AbortSignal | undefined,
  o: ListenOptions<T> = {},
): AsyncGenerator<T> {
  const enqueue = o.enqueue ?? ((q: T[], e: T) => void q.push(e))
  const queue: T[] = []
  let wake: (() => void) | undefined
  const sub = subscribe((e) => {
    enqueue(queue, e)
    wake?.()
  })
  const onAbort = (): void => wake?.()
  signal?.addEventListener('abort', onAbort)
  try {
    if (o.initial) yield* await o.initial()
    while (!signal?.aborted) {
      if (!queue.length) await new Promise<void>((r) => (wake = r))
      wake = undefined
      while (queue.length && !signal?.aborted) yield queue.shift() as T
    }
  } finally {
    sub.dispose()
    signal?.removeEventListener('abort', onAbort)
  }
}
