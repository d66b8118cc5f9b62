/**
 * A minimal HTTP/1.1 GET client for the transfer engine, over net/tls sockets with `onread`: the kernel
 * copies body bytes straight into memory the caller owns (the file writer's large buffers), so a
 * download allocates nothing per network read. node:http allocates a Buffer per read (64 KiB), and
 * at wire speed the garbage collector then cost more main-thread time than the transfer itself
 * (profile in the dl-speed commit). Connections are kept alive per origin. Only what the Hub and its
 * CDN need: Content-Length, chunked and read-to-close bodies, no compression (we ask for identity).
 */
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { dechunk, HttpProtocolError, newChunkState, type ChunkState } from './http-chunked'

/** Where a response body goes. */
export interface BodySink {
  /** Memory for the next network read (≥ 1 byte), or null: deliver through copy() instead. */
  space(): Buffer | null
  /** `n` bytes were read into the memory space() returned last. */
  filled(n: number): void
  /** Bytes that arrived elsewhere (with the headers, chunked framing, after a pause). */
  copy(buf: Buffer): void
  /** Stop reading until `resume` is called. */
  readonly paused: boolean
  /** Wants no more bytes: the rest of the body is dropped (with the connection). */
  readonly done: boolean
  /** Set by the client: call when `paused` turns false. */
  resume?: () => void
}

export interface HttpResponse {
  status: number
  url: string
  headers: Headers
  /** Streams the body into `sink`; resolves at its end or when the sink is done. */
  read(sink: BodySink): Promise<void>
  /** Drops the connection (aborts the body). */
  destroy(err?: Error): void
}

/** TLS trust beyond the system's: `ca` (PEM) — a test's own CA. Production sets none (NODE_EXTRA_CA_CERTS works). */
export interface HttpGetOptions {
  ca?: string | Buffer
}

const SCRATCH = 64 * 1024
export const MAX_HEAD = 64 * 1024
const IDLE_MS = 4000
const idle = new Map<string, Conn[]>()

/** A response body that ended before its length. Matched as transient by retry.ts ("terminated"). */
function truncated(left: number): Error {
  return new Error(`terminated: the connection closed with ${left} body bytes still to come`)
}

class Conn {
  readonly socket: Socket
  private readonly host: string
  private readonly scratch = Buffer.allocUnsafe(SCRATCH)
  private head: Buffer[] = []
  private headBytes = 0
  private phase: 'idle' | 'head' | 'body' = 'idle'
  private sink: BodySink | undefined
  /** Body bytes still to come; -1 = until the connection closes. */
  private left = 0
  private chunk: ChunkState | undefined
  private reusable = true
  private gotBytes = false
  private idleTimer: NodeJS.Timeout | undefined
  private onHead?: (r: { status: number; headers: Headers } | Error) => void
  private onBody?: (err?: Error) => void

  constructor(
    /** The idle pool it goes back to (origin and trust). */
    readonly origin: string,
    u: URL,
    opts: HttpGetOptions,
  ) {
    this.host = u.host
    const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80)
    const onread = { buffer: (): Buffer => this.region(), callback: (n: number, buf: Buffer): boolean => this.data(n, buf) }
    this.socket =
      u.protocol === 'https:'
        ? tlsConnect({ host: u.hostname, port, servername: u.hostname, ALPNProtocols: ['http/1.1'], ca: opts.ca, onread } as never)
        : netConnect({ host: u.hostname, port, onread, noDelay: true })
    this.socket.on('error', (err) => this.fail(err))
    this.socket.on('end', () => this.fail(undefined))
    this.socket.on('close', () => this.fail(undefined))
  }

  /** Which request the connection serves (a response object acts only on its own). */
  gen = 0

  request(path: string, host: string, headers: Record<string, string>): Promise<{ status: number; headers: Headers }> {
    clearTimeout(this.idleTimer)
    this.gen++
    this.gotBytes = false
    this.phase = 'head'
    this.head = []
    this.headBytes = 0
    let text = `GET ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n`
    for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`
    this.socket.write(`${text}\r\n`)
    return new Promise((resolve, reject) => {
      this.onHead = (r) => (r instanceof Error ? reject(r) : resolve(r))
    })
  }

  read(sink: BodySink): Promise<void> {
    if (this.phase !== 'body') return Promise.resolve()
    if (this.dead) return Promise.reject(this.dead)
    this.sink = sink
    sink.resume = () => {
      if (this.sink === sink && !sink.paused) this.socket.resume()
    }
    return new Promise<void>((resolve, reject) => {
      this.onBody = (err) => (err ? reject(err) : resolve())
    })
  }

  destroy(err?: Error): void {
    this.reusable = false
    this.socket.destroy()
    this.fail(err ?? new Error('aborted'))
  }

  /** Memory for the next read: straight into the sink while it takes Content-Length bytes. */
  private region(): Buffer {
    const s = this.phase === 'body' && !this.chunk && this.sink && !this.sink.paused && !this.sink.done ? this.sink.space() : null
    if (!s) return this.scratch
    return this.left >= 0 && s.length > this.left ? s.subarray(0, this.left) : s
  }

  private data(n: number, buf: Buffer): boolean {
    this.gotBytes = true
    if (this.phase === 'head') return this.headData(buf.subarray(0, n))
    if (this.phase !== 'body') {
      this.destroy(new Error('unexpected bytes on an idle connection'))
      return false
    }
    if (buf === this.scratch) this.bodyCopy(Buffer.from(buf.subarray(0, n)))
    else {
      if (this.left >= 0) this.left -= n
      this.sink?.filled(n)
      this.afterBody()
    }
    return !(this.sink?.paused ?? false) || this.phase !== 'body'
  }

  private headData(bytes: Buffer): boolean {
    this.head.push(Buffer.from(bytes))
    this.headBytes += bytes.length
    const all = this.head.length === 1 ? (this.head[0] as Buffer) : Buffer.concat(this.head)
    const end = all.indexOf('\r\n\r\n')
    // the limit holds wherever the end falls (it may come in the read that crosses the limit)
    if (end < 0 ? this.headBytes > MAX_HEAD : end + 4 > MAX_HEAD) {
      this.destroy(new HttpProtocolError(`${this.host} sent response headers larger than ${MAX_HEAD / 1024} KiB`))
      return false
    }
    if (end < 0) return true
    const lines = all.subarray(0, end).toString('latin1').split('\r\n')
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '')
    if (!m) {
      this.destroy(new HttpProtocolError(`${this.host}: not an HTTP/1.1 response: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`))
      return false
    }
    const headers = new Headers()
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':')
      if (i <= 0) continue
      try {
        headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim())
      } catch {
        // a header value fetch's Headers refuses: not one we read
      }
    }
    const status = Number(m[2])
    const conn = (headers.get('connection') ?? '').toLowerCase()
    this.reusable = this.reusable && m[1] === '1' && !conn.includes('close')
    const te = (headers.get('transfer-encoding') ?? '').toLowerCase()
    const cl = headers.get('content-length')
    this.chunk = undefined
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) this.left = 0
    else if (te.includes('chunked')) {
      this.chunk = newChunkState()
      this.left = -1
    } else if (cl !== null && /^\d+$/.test(cl.trim())) this.left = Number(cl)
    else {
      this.left = -1
      this.reusable = false
    }
    this.phase = 'body'
    this.sink = undefined
    const rest = Buffer.from(all.subarray(end + 4))
    const cb = this.onHead
    this.onHead = undefined
    cb?.({ status, headers })
    // body bytes that came with the headers wait for read(); nothing more is read until then
    if (rest.length > 0) this.pending = rest
    if (this.left === 0 && !this.chunk) this.finishBody(true)
    return this.phase !== 'body'
  }

  private pending: Buffer | undefined

  private bodyCopy(buf: Buffer): void {
    if (this.chunk) {
      let parts: Buffer[]
      try {
        parts = dechunk(this.chunk, buf)
      } catch (err) {
        return this.destroy(err as Error)
      }
      for (const part of parts) this.deliver(part)
      if (this.chunk.size === -2) return this.finishBody(true)
    } else {
      const take = this.left >= 0 ? buf.subarray(0, this.left) : buf
      if (this.left >= 0) this.left -= take.length
      this.deliver(take)
    }
    this.afterBody()
  }

  private deliver(part: Buffer): void {
    if (part.length > 0 && this.sink && !this.sink.done) this.sink.copy(part)
  }

  private afterBody(): void {
    if (this.phase !== 'body') return
    if (this.left === 0 && !this.chunk) this.finishBody(true)
    else if (this.sink?.done) this.finishBody(false)
  }

  /** The body is over for us; `complete` = the connection is at a response boundary. */
  private finishBody(complete: boolean): void {
    if (this.phase !== 'body') return
    if (!this.sink && this.pending === undefined && complete) {
      // no read() yet (e.g. a redirect with an empty body): settle when it comes
      this.phase = 'idle'
      if (this.reusable) this.release()
      else this.socket.destroy()
      return
    }
    if (!this.onBody) return // read() will call again
    this.phase = 'idle'
    const cb = this.onBody
    this.onBody = undefined
    this.sink = undefined
    if (complete && this.reusable && this.pending === undefined) this.release()
    else {
      this.reusable = false
      this.socket.destroy()
    }
    cb()
  }

  private release(): void {
    const list = idle.get(this.origin) ?? []
    if (list.length >= 16 || this.socket.destroyed) return void this.socket.destroy()
    list.push(this)
    idle.set(this.origin, list)
    this.socket.unref() // an idle connection does not keep the process alive
    this.socket.resume()
    this.idleTimer = setTimeout(() => this.socket.destroy(), IDLE_MS).unref()
  }

  private dead: Error | undefined

  private fail(err: Error | undefined): void {
    clearTimeout(this.idleTimer)
    this.reusable = false
    const list = idle.get(this.origin)
    if (list?.includes(this))
      idle.set(
        this.origin,
        list.filter((c) => c !== this),
      )
    if (this.phase === 'body' && this.left < 0 && !this.chunk && !err) {
      this.reusable = false
      return this.finishBody(true) // read-to-close body ended
    }
    const e = err ?? (this.phase === 'body' ? truncated(this.left) : new Error('socket closed before the response'))
    this.dead ??= e
    const head = this.onHead
    const body = this.onBody
    this.onHead = undefined
    this.onBody = undefined
    this.socket.destroy()
    // a broken response is said as it is; network failures as fetch says them (retry.ts knows those)
    head?.(e instanceof HttpProtocolError ? e : Object.assign(new TypeError('fetch failed', { cause: e }), { noResponse: !this.gotBytes }))
    body?.(e)
  }

  /** Starts the body: bytes that came with the headers first, then the socket. */
  startBody(): void {
    const p = this.pending
    this.pending = undefined
    if (p) this.bodyCopy(p)
    else this.afterBody()
    if (this.phase === 'body' && this.sink && !this.sink.paused) this.socket.resume()
  }

  /** Still on request `gen` (not released to serve another). */
  serves(gen: number): boolean {
    return this.gen === gen && !this.socket.destroyed
  }
}

function acquire(u: URL, opts: HttpGetOptions): { conn: Conn; reused: boolean } {
  const key = poolKey(u, opts)
  const list = idle.get(key)
  while (list && list.length > 0) {
    const c = list.pop() as Conn
    if (!c.socket.destroyed) {
      c.socket.ref()
      return { conn: c, reused: true }
    }
  }
  return { conn: new Conn(key, u, opts), reused: false }
}

const caIds = new Map<string | Buffer, number>()
/** Connections are reused per origin and trust (a connection made with a test CA serves only that CA's callers). */
function poolKey(u: URL, opts: HttpGetOptions): string {
  if (opts.ca === undefined) return u.origin
  if (!caIds.has(opts.ca)) caIds.set(opts.ca, caIds.size + 1)
  return `${u.origin} ca#${caIds.get(opts.ca)}`
}

/**
 * GET `url` without following redirects. Network failures reject with `TypeError('fetch failed')`
 * carrying the cause, as fetch does, so retry and error mapping treat both the same.
 */
export async function httpGet(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  opts: HttpGetOptions = {},
): Promise<HttpResponse> {
  const u = new URL(url)
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted()
    const { conn, reused } = acquire(u, opts)
    const head = conn.request(`${u.pathname}${u.search}`, u.host, headers)
    const gen = conn.gen
    const onAbort = (): void => {
      if (conn.serves(gen)) conn.destroy(signal.reason as Error)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const h = await head
      return {
        status: h.status,
        url,
        headers: h.headers,
        read: async (sink) => {
          if (!conn.serves(gen)) return
          const body = conn.read(sink)
          conn.startBody()
          try {
            await body
          } finally {
            signal.removeEventListener('abort', onAbort)
          }
        },
        destroy: (err) => {
          signal.removeEventListener('abort', onAbort)
          if (conn.serves(gen)) conn.destroy(err)
        },
      }
    } catch (err) {
      signal.removeEventListener('abort', onAbort)
      if (signal.aborted) throw signal.reason
      // a kept-alive connection the server closed as we sent: once more on a new one
      if (!(reused && attempt === 0 && (err as { noResponse?: boolean }).noResponse === true)) throw err
    }
  }
}
