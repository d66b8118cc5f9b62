import { onScopeDispose, ref, shallowRef, type Ref, type ShallowRef } from 'vue'
import { Backoff } from '@shared/backoff.js'
import { whenConnected } from '@/lib/connection'

export interface StreamState<T> {
  /** The latest value received, if any. */
  latest: ShallowRef<T | undefined>
  /** The last error; cleared when the stream is (re)opened. */
  error: ShallowRef<unknown>
  /** True while an iterator is open. */
  live: Ref<boolean>
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
  })
}

/**
 * Consumes an oRPC event iterator for the lifetime of the calling component (or effect scope):
 * `useStream((signal) => api.system.watchPools(undefined, { signal }), (snap) => ...)`.
 * The iterator is cancelled on unmount; when it fails (e.g. the connection dropped) it is reopened
 * once connected again, with a growing pause between attempts.
 */
export function useStream<T>(open: (signal: AbortSignal) => Promise<AsyncIterable<T>>, onValue?: (value: T) => void): StreamState<T> {
  const latest = shallowRef<T | undefined>()
  const error = shallowRef<unknown>()
  const live = ref(false)
  const controller = new AbortController()
  const { signal } = controller

  async function run(): Promise<void> {
    const pause = new Backoff({ initialMs: 1000, maxMs: 10_000 })
    while (!signal.aborted) {
      try {
        await whenConnected({ signal })
        const iterator = (await open(signal))[Symbol.asyncIterator]()
        const stop = (): void => void iterator.return?.().catch(() => undefined)
        signal.addEventListener('abort', stop, { once: true })
        live.value = true
        error.value = undefined
        try {
          for (;;) {
            const next = await iterator.next()
            if (next.done || signal.aborted) return
            pause.reset()
            latest.value = next.value
            onValue?.(next.value)
          }
        } finally {
          live.value = false
          signal.removeEventListener('abort', stop)
        }
      } catch (err) {
        if (signal.aborted) return
        error.value = err
        await sleep(pause.next(), signal)
      }
    }
  }

  void run()
  onScopeDispose(() => controller.abort())
  return { latest, error, live }
}
