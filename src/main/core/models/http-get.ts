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

const SCRATCH = 64 * 1024
const MAX_HEAD = 64 * 1024
const IDLE_MS = 4000
const idle = new Map<string, Conn[]>()

/** A response body that ended before its length. Matched as transient by retry.ts ("terminated"). */
function truncated(left: number): Error {
  return new Error(`terminated: the connection closed with ${left} body bytes still to come`)
}

class Conn {
  readonly socket: Socket
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
    readonly origin: string,
    u: URL,
  ) {
    const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80)
    const onread = { buffer: (): Buffer => this.region(), callback: (n: number, buf: Buffer): boolean => this.data(n, buf) }
    this.socket =
      u.protocol === 'https:'
        ? tlsConnect({ host: u.hostname, port, servername: u.hostname, ALPNProtocols: ['http/1.1'], onread } as never)
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
    if (end < 0) {
      if (this.headBytes > MAX_HEAD) this.destroy(new Error('response headers too large'))
      return true
    }
    const lines = all.subarray(0, end).toString('latin1').split('\r\n')
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '')
    if (!m) {
      this.destroy(new Error(`not an HTTP/1.1 response: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`))
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
      this.chunk = { size: -1, line: '', trailer: false }
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
      for (const part of dechunk(this.chunk, buf)) this.deliver(part)
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
    head?.(Object.assign(new TypeError('fetch failed', { cause: e }), { noResponse: !this.gotBytes }))
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

interface ChunkState {
  /** Bytes left in the current chunk; -1 = reading a size line; -2 = the last chunk was read. */
  size: number
  line: string
  trailer: boolean
}

/** Decodes chunked transfer-encoding incrementally: the payload parts in `buf`. */
function dechunk(st: ChunkState, buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  let i = 0
  while (i < buf.length && st.size !== -2) {
    if (st.size > 0) {
      const take = Math.min(st.size, buf.length - i)
      out.push(buf.subarray(i, i + take))
      st.size -= take
      i += take
      if (st.size === 0) st.size = -3 // the CRLF after the data
      continue
    }
    const nl = buf.indexOf(10, i)
    const piece = buf.subarray(i, nl < 0 ? buf.length : nl + 1).toString('latin1')
    i = nl < 0 ? buf.length : nl + 1
    st.line += piece
    if (nl < 0) continue
    const line = st.line.trim()
    st.line = ''
    if (st.size === -3) st.size = -1
    else if (st.trailer) {
      if (line === '') st.size = -2
    } else {
      const n = parseInt(line, 16)
      if (!Number.isFinite(n)) throw new Error('bad chunked encoding')
      if (n === 0) st.trailer = true
      else st.size = n
    }
  }
  return out
}

function acquire(u: URL): { conn: Conn; reused: boolean } {
  const list = idle.get(u.origin)
  while (list && list.length > 0) {
    const c = list.pop() as Conn
    if (!c.socket.destroyed) {
      c.socket.ref()
      return { conn: c, reused: true }
    }
  }
  return { conn: new Conn(u.origin, u), reused: false }
}

/**
 * GET `url` without following redirects. Network failures reject with `TypeError('fetch failed')`
 * carrying the cause, as fetch does, so retry and error mapping treat both the same.
 */
export async function httpGet(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
  const u = new URL(url)
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted()
    const { conn, reused } = acquire(u)
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

/** A sink that keeps up to `limit` bytes (for error texts and drained bodies); `stop`: done at the limit. */
function collect(limit: number, stop = true): BodySink & { parts: Buffer[]; n: number } {
  return {
    parts: [],
    n: 0,
    paused: false,
    get done() {
      return stop && this.n >= limit
    },
    space: () => null,
    filled: () => undefined,
    copy(buf) {
      if (this.n < limit) this.parts.push(buf.subarray(0, limit - this.n))
      this.n += buf.length
    },
  }
}

/** Lets a response with an empty or small body go (the connection is reused), else drops it. */
export function discard(res: HttpResponse): void {
  const length = Number(res.headers.get('content-length') ?? NaN)
  if (Number.isFinite(length) && length <= 65536) void res.read(collect(0, false)).catch(() => undefined)
  else res.destroy()
}

/** The body as text (at most `limit` bytes), for error messages. */
export async function bodyText(res: HttpResponse, limit = 4096): Promise<string> {
  const sink = collect(limit)
  await res.read(sink)
  return Buffer.concat(sink.parts).toString('utf8').slice(0, limit)
}
