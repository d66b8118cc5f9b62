/**
 * A plain GET on node:http/node:https for the transfer engine. WHATWG fetch (undici) delivers the
 * body through web streams — a promise and a view object per network read — which cost more CPU
 * (mostly GC) than the download itself on small machines; here the body is the socket's own
 * Readable, whose Buffers are written to disk as they are (no copy).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'

export interface HttpResponse {
  status: number
  url: string
  headers: Headers
  /** The body; destroy() it to abort, or read it to the end. */
  body: IncomingMessage
}

/**
 * GET `url` without following redirects. Network failures reject with `TypeError('fetch failed')`
 * carrying the cause, as fetch does, so retry and error mapping treat both the same.
 */
export function httpGet(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
  signal.throwIfAborted()
  const u = new URL(url)
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = request(u, { method: 'GET', headers, signal }, (res) => {
      const h = new Headers()
      const raw = res.rawHeaders
      for (let i = 0; i + 1 < raw.length; i += 2) h.append(raw[i] as string, raw[i + 1] as string)
      resolve({ status: res.statusCode ?? 0, url, headers: h, body: res })
    })
    req.once('error', (err: Error) => {
      if (signal.aborted) reject(signal.reason)
      else reject(new TypeError('fetch failed', { cause: err }))
    })
    req.end()
  })
}

/** Lets a response with an empty or unwanted body go (the connection is reused when it can be). */
export function discard(res: HttpResponse): void {
  const length = Number(res.headers.get('content-length') ?? NaN)
  if (res.body.complete || (Number.isFinite(length) && length <= 65536)) res.body.resume()
  else res.body.destroy()
}

/** The body as text (at most `limit` bytes), for error messages. */
export async function bodyText(res: HttpResponse, limit = 4096): Promise<string> {
  const parts: Buffer[] = []
  let n = 0
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (n < limit) parts.push(chunk)
      n += chunk.length
      if (n >= limit) break
    }
  } finally {
    res.body.destroy()
  }
  return Buffer.concat(parts).toString('utf8').slice(0, limit)
}
