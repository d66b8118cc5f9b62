import {
  request as httpRequest,
  type Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http'
import { request as httpsRequest } from 'node:https'
import { sendError, sseError, type GatewayError } from './openai-error'
import { Tail, usageFromTail, type Usage } from './usage'

/** Headers that describe one hop, never forwarded (RFC 9110 §7.6.1), plus what the gateway replaces. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])
/** The client's credentials are for the gateway: the backend gets its own key. Cookies are for other services. */
const CLIENT_ONLY = new Set(['host', 'content-length', 'authorization', 'x-api-key', 'cookie', 'expect'])

function connectionTokens(h: IncomingHttpHeaders): Set<string> {
  const c = h.connection
  return new Set(
    (Array.isArray(c) ? c.join(',') : (c ?? ''))
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  )
}

/** The request headers sent upstream: the client's, less hop-by-hop ones and its credentials, plus the backend key. */
export function upstreamHeaders(h: IncomingHttpHeaders, bodyLength: number, apiKey?: string): OutgoingHttpHeaders {
  const drop = connectionTokens(h)
  const out: OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || HOP_BY_HOP.has(k) || CLIENT_ONLY.has(k) || drop.has(k)) continue
    out[k] = v
  }
  out['content-length'] = bodyLength
  if (apiKey) out.authorization = `Bearer ${apiKey}`
  return out
}

/** The response headers sent to the client: the backend's, less hop-by-hop ones; SSE marked unbuffered for proxies. */
export function downstreamHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const drop = connectionTokens(h)
  const out: OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || HOP_BY_HOP.has(k) || drop.has(k)) continue
    out[k] = v
  }
  if (String(h['content-type'] ?? '').startsWith('text/event-stream')) out['x-accel-buffering'] = 'no'
  return out
}

export interface ForwardRequest {
  req: IncomingMessage
  res: ServerResponse
  /** Path and query, as the client sent them. */
  path: string
  body: Buffer
  endpoint: string
  apiKey?: string
  agent: Agent
  /** When the gateway got the request (ms, same clock as `now`), for TTFT. */
  startedAt: number
  now: () => number
}

export interface ForwardResult {
  /** The status the client saw: the backend's; 502 if it could not be reached; 499 if the client left first. */
  status: number
  /** ms from startedAt to the first byte of the backend's body, null if none came. */
  ttftMs: number | null
  usage: Usage | null
  /** Why it did not complete, for the log. */
  error?: string
}

const unreachable = (endpoint: string, err: NodeJS.ErrnoException): GatewayError => ({
  status: 502,
  type: 'server_error',
  code: 'upstream_unreachable',
  message: `The model's server at ${endpoint} did not answer (${err.code ?? err.message}). It may have just stopped: retry, or see the deployment's logs in InferAdmin.`,
})

/** A backend error body as an SSE error event, for a stream whose 200 already went (load progress was shown). */
function upstreamErrorAsSse(status: number, body: string): string {
  let message = body.trim().slice(0, 2000) || `HTTP ${status}`
  try {
    const j = JSON.parse(body) as { error?: { message?: string } | string; message?: string }
    message = (typeof j.error === 'object' ? j.error.message : j.error) ?? j.message ?? message
  } catch {
    // not JSON: the text itself
  }
  return sseError({ status, type: status < 500 ? 'invalid_request_error' : 'server_error', code: `upstream_${status}`, message })
}

/**
 * Sends the request to the backend and its answer back byte for byte: the body as received, the response streamed
 * as it arrives (pipe: backpressure both ways, nothing buffered but the usage tail). A client that goes away aborts
 * the upstream request (vLLM then aborts the generation). If `res` already carries a 200 SSE head (load progress),
 * only the backend's body is appended, and a backend error becomes an SSE error event.
 */
export function forward(f: ForwardRequest): Promise<ForwardResult> {
  return new Promise((resolve) => {
    const url = new URL(f.path, f.endpoint)
    const streamStarted = f.res.headersSent
    let ttftMs: number | null = null
    let settled = false
    let retried = false
    const tail = new Tail()
    const settle = (r: ForwardResult): void => {
      if (settled) return
      settled = true
      resolve(r)
    }
    let current: ReturnType<typeof httpRequest> | null = null
    const onClientClose = (): void => {
      if (f.res.writableFinished) return
      current?.destroy()
      settle({ status: 499, ttftMs, usage: null, error: 'client disconnected' })
    }
    f.res.on('close', onClientClose)

    const send = (): void => {
      const headers = upstreamHeaders(f.req.headers, f.body.length, f.apiKey)
      const make = url.protocol === 'https:' ? httpsRequest : httpRequest
      const up = make(url, { method: f.req.method, headers, agent: url.protocol === 'https:' ? undefined : f.agent })
      current = up
      up.on('socket', (s) => s.setNoDelay(true))
      up.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return
        // A kept-alive socket the backend had just closed: send once more on a fresh one.
        if (!retried && up.reusedSocket && err.code === 'ECONNRESET') {
          retried = true
          return send()
        }
        const e = unreachable(f.endpoint, err)
        if (streamStarted) f.res.end(sseError(e))
        else sendError(f.res, e)
        settle({ status: 502, ttftMs, usage: null, error: e.message })
      })
      up.on('response', (upRes) => onResponse(upRes))
      up.end(f.body)
    }

    const onResponse = (upRes: IncomingMessage): void => {
      const status = upRes.statusCode ?? 502
      if (streamStarted && status !== 200) {
        const chunks: Buffer[] = []
        let size = 0
        upRes.on('data', (c: Buffer) => void (size < 65536 && (chunks.push(c), (size += c.length))))
        upRes.on('end', () => {
          f.res.end(upstreamErrorAsSse(status, Buffer.concat(chunks).toString('utf8')))
          settle({ status, ttftMs, usage: null, error: `backend answered ${status}` })
        })
        return
      }
      if (!streamStarted) f.res.writeHead(status, downstreamHeaders(upRes.headers))
      upRes.on('data', (c: Buffer) => {
        if (ttftMs === null) ttftMs = f.now() - f.startedAt
        tail.push(c)
      })
      upRes.on('end', () => {
        settle({ status, ttftMs, usage: usageFromTail(tail.text()), error: status >= 400 ? `backend answered ${status}` : undefined })
      })
      upRes.on('error', () => undefined)
      upRes.on('close', () => {
        if (upRes.complete) return
        f.res.destroy()
        settle({ status, ttftMs, usage: null, error: 'backend closed the connection mid-answer' })
      })
      upRes.pipe(f.res)
    }
    send()
  })
}
