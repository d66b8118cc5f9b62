import { Publisher, type Disposable } from '../events/publisher'

/** One request through the gateway, as the Gateway page's log shows it: no bodies, no keys. */
export interface GatewayLogEntry {
  /** When it arrived (ms since the epoch). */
  time: number
  method: string
  path: string
  /** The model the client named (null if none could be read). */
  model: string | null
  /** The backend's first served name, null when it was not routed. */
  backend: string | null
  /** The key's name; null for a request from this machine without a key. */
  key: string | null
  /** The status the client saw (499: it went away first). */
  status: number
  latencyMs: number
  /** To the first byte of the model's answer, null if none came. */
  ttftMs: number | null
  tokensIn: number | null
  tokensOut: number | null
  /** It was held while the model loaded. */
  coldStart: boolean
  /** How long it was held (ms), null if it was not. */
  heldMs: number | null
  /** Why it failed, when it did (never a body). */
  error?: string
}

/** The last `capacity` requests (default 1,000), oldest overwritten; listeners get each new entry. */
export class RequestLog {
  readonly #ring: (GatewayLogEntry | undefined)[]
  #next = 0
  #size = 0
  readonly #publisher = new Publisher<GatewayLogEntry>()

  constructor(readonly capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`the request log's capacity must be a positive integer (got ${capacity})`)
    this.#ring = new Array<GatewayLogEntry | undefined>(capacity)
  }

  add(e: GatewayLogEntry): void {
    this.#ring[this.#next] = e
    this.#next = (this.#next + 1) % this.capacity
    this.#size = Math.min(this.capacity, this.#size + 1)
    this.#publisher.publish(e)
  }

  /** Newest first, at most `limit`. */
  list(limit = this.capacity): GatewayLogEntry[] {
    const out: GatewayLogEntry[] = []
    for (let i = 1; i <= Math.min(limit, this.#size); i++)
      out.push(this.#ring[(this.#next - i + this.capacity) % this.capacity] as GatewayLogEntry)
    return out
  }

  subscribe(listener: (e: GatewayLogEntry) => void): Disposable {
    return this.#publisher.subscribe(listener)
  }
}
