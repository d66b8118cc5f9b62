import type { ClientContext, ClientLink, ClientOptions } from '@orpc/client'
import { ORPCError } from '@orpc/client'
import { RPCLink } from '@orpc/client/websocket'
import { Backoff } from '@shared/backoff.js'
import { connectionControl, whenConnected } from '../connection'

export type AuthProbe = () => Promise<'ok' | 'unauthorized' | 'unreachable'>

export interface ReconnectingLinkOptions {
  /** ws:// or wss:// URL of the RPC endpoint. */
  url: string
  /** After a failed attempt: was it refused for credentials? (A browser WebSocket cannot see the 401.) */
  probeAuth: AuthProbe
  initialDelayMs?: number
  maxDelayMs?: number
  /** How long a call waits for a connection before failing. */
  callTimeoutMs?: number
}

interface Connection<T extends ClientContext> {
  ws: WebSocket
  link: RPCLink<T>
  open: boolean
}

/** Thrown for calls cut short because the socket closed under them. */
export class ConnectionLostError extends Error {
  readonly code = 'CONNECTION_LOST'
  readonly data = { fix: 'The connection is being re-established; try again in a moment.' }
  constructor() {
    super('The connection to the InferAdmin server was lost.')
    this.name = 'ConnectionLostError'
  }
}

/**
 * An oRPC link over a WebSocket that is re-created with exponential backoff when it closes.
 * oRPC's websocket RPCLink is bound to one socket, so each socket gets its own RPCLink and calls
 * go to the current one; calls made while disconnected wait (bounded) for the next connection.
 * In-flight calls and streams on a dropped socket fail; streams are restarted by `useStream`.
 */
export class ReconnectingWebSocketLink<T extends ClientContext> implements ClientLink<T> {
  private conn: Connection<T> | null = null
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  /** Delays between attempts since the last open socket: initial, doubled up to the cap, ± 20 %. */
  private readonly backoff: Backoff
  private readonly maxDelayMs: number
  private readonly callTimeoutMs: number

  constructor(private readonly opts: ReconnectingLinkOptions) {
    this.maxDelayMs = opts.maxDelayMs ?? 10_000
    this.callTimeoutMs = opts.callTimeoutMs ?? 15_000
    this.backoff = new Backoff({ initialMs: opts.initialDelayMs ?? 500, maxMs: this.maxDelayMs, jitter: 0.2 })
    this.connect()
  }

  /** Skip the backoff wait (e.g. the user pressed "Retry now" or the network came back). */
  retryNow(): void {
    if (this.conn) return
    clearTimeout(this.retryTimer)
    this.connect()
  }

  async call(path: readonly string[], input: unknown, options: ClientOptions<T>): Promise<unknown> {
    if (!this.conn?.open) {
      await whenConnected({ signal: options.signal, timeoutMs: this.callTimeoutMs })
    }
    const conn = this.conn
    if (!conn?.open) throw new ConnectionLostError()
    try {
      return await conn.link.call(path, input, options)
    } catch (err) {
      if (!(err instanceof ORPCError) && conn.ws.readyState >= WebSocket.CLOSING && !options.signal?.aborted) {
        throw new ConnectionLostError()
      }
      throw err
    }
  }

  private connect(): void {
    let ws: WebSocket
    try {
      ws = new WebSocket(this.opts.url)
    } catch {
      void this.scheduleRetry(false)
      return
    }
    const conn: Connection<T> = { ws, link: new RPCLink<T>({ websocket: ws }), open: false }
    this.conn = conn
    ws.addEventListener('open', () => {
      conn.open = true
      this.backoff.reset()
      connectionControl.connected()
    })
    ws.addEventListener('close', () => {
      if (this.conn !== conn) return
      this.conn = null
      void this.scheduleRetry(conn.open)
    })
  }

  private async scheduleRetry(wasOpen: boolean): Promise<void> {
    // A socket that was open and dropped: try again soon (the backoff starts over when a socket opens). An attempt
    // that never opened: back off further, and find out whether the server refused us (stale cookie) or is not there.
    let state: 'reconnecting' | 'unauthorized' = 'reconnecting'
    let delay = this.backoff.next()
    if (!wasOpen && (await this.opts.probeAuth()) === 'unauthorized') {
      state = 'unauthorized'
      delay = this.maxDelayMs
    }
    connectionControl.lost(state, Date.now() + delay)
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => this.connect(), delay)
  }
}
