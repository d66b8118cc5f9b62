/** What a settle check says: done with a value, failed with an error, or not yet (undefined). */
export type Settled<T> = { ok: T } | { err: unknown } | undefined

export interface WaitSettleOptions<T> {
  /** Subscribes `check` to whatever can change the outcome; returns the subscriptions to dispose. */
  subscribe(check: () => void): { dispose(): void }[]
  settle(): Settled<T>
  timeoutMs?: number
  timeoutError(): unknown
  signal?: AbortSignal
}

/** Resolves or rejects on the first settled check (checked at once, then on every event), a timeout or an abort. */
export function waitSettle<T>(o: WaitSettleOptions<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let finished = false
    const subs: { dispose(): void }[] = []
    let timer: NodeJS.Timeout | undefined
    const finish = (fn: () => void): void => {
      if (finished) return
      finished = true
      for (const s of subs) s.dispose()
      clearTimeout(timer)
      o.signal?.removeEventListener('abort', onAbort)
      fn()
    }
    const check = (): void => {
      const r = o.settle()
      if (r === undefined) return
      if ('ok' in r) finish(() => resolve(r.ok))
      else finish(() => reject(r.err))
    }
    const onAbort = (): void => finish(() => reject(o.signal?.reason ?? new Error('aborted')))
    if (o.signal?.aborted) return onAbort()
    o.signal?.addEventListener('abort', onAbort)
    if (o.timeoutMs) timer = setTimeout(() => finish(() => reject(o.timeoutError())), o.timeoutMs)
    subs.push(...o.subscribe(check))
    check()
  })
}
