import { reactive, readonly, watch } from 'vue'

export type ConnectionState =
  /** First connection attempt in progress. */
  | 'connecting'
  | 'connected'
  /** The connection dropped (or an attempt failed); retrying with backoff. */
  | 'reconnecting'
  /** The server refused our credentials (cookie missing or stale): a fresh link is needed. */
  | 'unauthorized'

export type TransportKind = 'message-port' | 'websocket'

interface ConnectionStatus {
  state: ConnectionState
  transport: TransportKind
  /** Increments on every successful (re)connection; watch it to re-fetch lists. */
  generation: number
  /** Failed attempts since the last successful connection. */
  attempts: number
  /** When the next attempt is due (epoch ms), while reconnecting. */
  nextAttemptAt: number | null
}

const status = reactive<ConnectionStatus>({
  state: 'connecting',
  transport: 'websocket',
  generation: 0,
  attempts: 0,
  nextAttemptAt: null,
})

/** Read-only view of the connection to the backend, for banners and indicators. */
export const connection = readonly(status)

/** Only the transports write here. */
export const connectionControl = {
  setTransport(kind: TransportKind): void {
    status.transport = kind
  },
  connected(): void {
    status.state = 'connected'
    status.attempts = 0
    status.nextAttemptAt = null
    status.generation += 1
  },
  lost(state: 'reconnecting' | 'unauthorized', nextAttemptAt: number): void {
    status.state = state
    status.attempts += 1
    status.nextAttemptAt = nextAttemptAt
  },
}

/** Resolves once connected (immediately when already connected); rejects on abort or timeout. */
export function whenConnected(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
  if (status.state === 'connected') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const cleanup: (() => void)[] = []
    const done = (fn: () => void): void => {
      cleanup.forEach((c) => c())
      fn()
    }
    const stop = watch(
      () => status.state,
      (state) => {
        if (state === 'connected') done(resolve)
      },
    )
    cleanup.push(stop)
    if (opts.timeoutMs !== undefined) {
      const t = setTimeout(() => done(() => reject(new NotConnectedError())), opts.timeoutMs)
      cleanup.push(() => clearTimeout(t))
    }
    if (opts.signal) {
      const signal = opts.signal
      const onAbort = (): void => done(() => reject(signal.reason))
      if (signal.aborted) return onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
      cleanup.push(() => signal.removeEventListener('abort', onAbort))
    }
  })
}

export class NotConnectedError extends Error {
  readonly code = 'NOT_CONNECTED'
  constructor() {
    super('Not connected to the InferAdmin server.')
    this.name = 'NotConnectedError'
  }
  readonly data = { fix: 'Wait until the connection is back (see the banner at the top), then try again.' }
}
