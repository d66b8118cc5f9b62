import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import { hostname as osHostname, networkInterfaces } from 'node:os'

/** REST bodies larger than this are refused (413) before any of them is parsed. */
export const MAX_BODY_BYTES = 1024 * 1024
/** JSON nested deeper than this is refused (400) before it is parsed. */
export const MAX_JSON_DEPTH = 64
/** A refused body is read (and dropped) up to this much before the 413, so the client reads the answer. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024
/** A WebSocket RPC message larger than this closes the connection (1009). */
export const MAX_WS_MESSAGE_BYTES = 16 * 1024 * 1024

/** Sends an error in the declared shape ({code, status, message, data: {fix}}). */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  fix: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end()
    return
  }
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
    .end(JSON.stringify({ defined: false, code, status, message, data: { fix } }))
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']
const WILDCARD = new Set(['0.0.0.0', '::', ''])

/** "Name[:port]" of a Host header, the name lowercased (IPv6 kept in brackets); undefined when malformed. */
export function splitHost(value: string): { name: string; port: number | undefined } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim())
  if (!m?.[1]) return undefined
  return { name: m[1].toLowerCase(), port: m[2] === undefined ? undefined : Number(m[2]) }
}

/**
 * Parses INFERADMIN_ALLOWED_HOSTS / --allow-host: comma-separated `name` or `name:port`. Throws naming the
 * bad entry and the fix.
 */
export function parseAllowedHosts(list: string | undefined): string[] {
  const out: string[] = []
  for (const raw of (list ?? '').split(',')) {
    const entry = raw.trim()
    if (entry === '') continue
    const parsed = splitHost(entry)
    if (entry.length > 260 || !parsed || !/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)$/.test(parsed.name)) {
      throw new Error(`"${entry}" is not a host name: use names like admin.example.com or admin.example.com:443, separated by commas`)
    }
    out.push(entry.toLowerCase())
  }
  return out
}

const bracket = (address: string): string => (isIP(address) === 6 ? `[${address.toLowerCase()}]` : address.toLowerCase())

/**
 * Which Host header values the server answers (DNS rebinding: a page of another site whose name now points
 * at this machine sends its own name as Host and gets 421). Allowed: loopback names, the bound address,
 * the machine's host name, every interface address when bound to all interfaces — each with the server's
 * port — and the names the user configures (INFERADMIN_ALLOWED_HOSTS; without a port they match any port).
 */
export class HostCheck {
  private readonly exact = new Set<string>()
  private readonly anyPort = new Set<string>()

  constructor(
    private readonly bindHost: string,
    private readonly port: number,
    configured: string[] = [],
  ) {
    for (const name of [...LOOPBACK_NAMES, osHostname().toLowerCase()]) this.exact.add(name)
    if (!WILDCARD.has(bindHost)) this.exact.add(bracket(bindHost))
    for (const entry of configured) {
      const parsed = splitHost(entry)
      if (!parsed) continue
      if (parsed.port === undefined) this.anyPort.add(parsed.name)
      else this.exact.add(`${parsed.name}:${parsed.port}`)
    }
  }

  allows(header: string | undefined): boolean {
    if (!header) return false
    const parsed = splitHost(header)
    if (!parsed) return false
    if (this.anyPort.has(parsed.name) || this.exact.has(`${parsed.name}:${parsed.port}`)) return true
    // Browsers leave out the port when it is the scheme's default.
    const port = parsed.port ?? 80
    if (port !== this.port) return false
    if (this.exact.has(parsed.name)) return true
    return WILDCARD.has(this.bindHost) && this.interfaceAddresses().has(parsed.name)
  }

  /** Addresses of this machine's interfaces, read when needed (they change with DHCP, VPNs …). */
  private interfaceAddresses(): Set<string> {
    const out = new Set<string>()
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(bracket(a.address.split('%')[0] ?? ''))
    return out
  }
}

export function misdirected(req: IncomingMessage, res: ServerResponse, url: string): void {
  const host = String(req.headers.host ?? '(none)').slice(0, 200)
  sendError(
    res,
    421,
    'MISDIRECTED_REQUEST',
    `This server does not answer to the host name "${host}".`,
    `Open it by its own address (${url}), or add the name to INFERADMIN_ALLOWED_HOSTS (comma-separated) and restart it.`,
  )
}

export const isMutating = (method: string | undefined): boolean => !['GET', 'HEAD', 'OPTIONS'].includes(method ?? 'GET')

/** The request's Origin is this server's own (same scheme-less host and port as the Host header). */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  const host = req.headers.host
  if (!origin || !host) return false
  return origin === `http://${host}` || origin === `https://${host}`
}

/**
 * Cross-site requests: a browser sends the session cookie with requests that pages of other ports of the
 * same host make (same site), so a mutating call authenticated by the cookie must come from our own page,
 * which browsers mark with an Origin header. A mutating call from a foreign Origin is refused whatever the
 * credentials; scripts with the bearer token send no Origin.
 */
export function crossSiteRefusal(req: IncomingMessage, via: 'bearer' | 'session'): string | undefined {
  if (!isMutating(req.method)) return undefined
  const origin = req.headers.origin
  if (origin !== undefined) return sameOrigin(req) ? undefined : `a ${req.method} from the foreign origin ${String(origin).slice(0, 200)}`
  return via === 'session' ? `a ${req.method} with the session cookie but without an Origin header` : undefined
}

/** `application/json`, optionally with parameters (charset). */
export function isJsonType(contentType: string): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType.trim())
}

/** Deepest nesting of arrays/objects in JSON text (strings skipped), counted without parsing. */
export function jsonDepth(text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth)
    else if (c === 0x5d || c === 0x7d) depth--
  }
  return max
}

/** Reads the body up to `limit` bytes; 'too-large' as soon as it passes the limit (the rest is not kept). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        req.off('data', onData)
        req.off('end', onEnd)
        resolve('too-large')
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => resolve(Buffer.concat(chunks))
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', reject)
  })
}

/** Reads and drops the rest of a refused body (up to MAX_DRAIN_BYTES), so the client gets to read the answer. */
function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let size = 0
    const done = (): void => {
      req.off('data', onData)
      resolve()
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > MAX_DRAIN_BYTES) done()
    }
    req.on('data', onData)
    req.once('end', done)
    req.once('error', done)
    req.once('close', done)
    req.resume()
  })
}

/**
 * 413 after the client has finished sending (up to MAX_DRAIN_BYTES): answering and closing while it still
 * writes makes it see a reset (EPIPE) instead of the answer.
 */
async function tooLarge(req: IncomingMessage, res: ServerResponse): Promise<false> {
  await drain(req)
  const message = `The request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB.`
  sendError(res, 413, 'PAYLOAD_TOO_LARGE', message, 'Send a smaller body; no API call needs more.', { connection: 'close' })
  return false
}

/** What Node's HTTP parser refused before there was a request ('clientError'), in the declared shape. */
export function refuseUnparsed(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (err.code === 'ECONNRESET' && !socket.readable)) {
    socket.destroy()
    return
  }
  const big = err.code === 'HPE_HEADER_OVERFLOW'
  const [status, text, code] = big
    ? [431, 'Request Header Fields Too Large', 'REQUEST_HEADER_FIELDS_TOO_LARGE']
    : [400, 'Bad Request', 'BAD_REQUEST']
  const message = big ? 'The request line and headers are larger than the server accepts (16 KiB).' : 'The request is not valid HTTP.'
  const fix = big ? 'Send a shorter URL and fewer or smaller headers; inputs go in a JSON body.' : 'Send a well-formed HTTP/1.1 request.'
  const body = JSON.stringify({ defined: false, code, status, message, data: { fix } })
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

/**
 * REST bodies: JSON only (a form or text/plain body — what a page of another site can send without asking —
 * gets 415), at most MAX_BODY_BYTES (413, checked while reading, before parsing) and MAX_JSON_DEPTH deep.
 * The parsed body is handed to oRPC as `req.body`. False when an error was sent.
 */
export async function acceptJsonBody(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const type = req.headers['content-type']
  const length = req.headers['content-length']
  const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined
  if (req.headers['content-disposition'] !== undefined || (type !== undefined ? !isJsonType(type) : hasBody)) {
    const got =
      req.headers['content-disposition'] !== undefined
        ? 'a file upload (Content-Disposition)'
        : type === undefined
          ? 'a body without Content-Type'
          : `Content-Type ${type.slice(0, 100)}`
    const fix = 'Send the body as JSON with `Content-Type: application/json`.'
    sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `The API takes JSON bodies only (got ${got}).`, fix)
    return false
  }
  if (!hasBody) return true
  if (Number(length) > MAX_BODY_BYTES) return tooLarge(req, res)
  const body = await readBody(req, MAX_BODY_BYTES)
  if (body === 'too-large') return tooLarge(req, res)
  const text = body.toString('utf8')
  // A GET's input is its query string; a body there means nothing (but was bounded like any other).
  if (!isMutating(req.method) || text.trim() === '') return true
  const fix = 'Send one JSON value (an object) as the body.'
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    sendError(res, 400, 'BAD_REQUEST', `The body is nested more than ${MAX_JSON_DEPTH} levels deep.`, fix)
    return false
  }
  try {
    ;(req as IncomingMessage & { body?: unknown }).body = JSON.parse(text)
  } catch (err) {
    sendError(res, 400, 'BAD_REQUEST', `The body is not valid JSON: ${String((err as Error).message).slice(0, 200)}`, fix)
    return false
  }
  return true
}
