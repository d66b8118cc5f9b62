import type { ServerResponse } from 'node:http'

/**
 * An answer the gateway gives itself, in OpenAI's error shape (gateway-facts.md §6.1): all four keys present, `code` a
 * string. `retryAfterS` becomes `Retry-After` (whole seconds ≥ 1; the openai SDK honours at most 60).
 */
export interface GatewayError {
  status: number
  message: string
  type: string
  code: string
  param?: string | null
  retryAfterS?: number
  /** Extra response headers (e.g. x-should-retry: false where a retry cannot help). */
  headers?: Record<string, string>
}

export function errorBody(e: GatewayError): { error: { message: string; type: string; param: string | null; code: string } } {
  return { error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code } }
}

/** Seconds for Retry-After: an integer from 1 to 60 (longer values are ignored by the openai SDK, §6.4). */
export function retryAfterSeconds(seconds: number | undefined, fallback: number): number {
  const s = seconds === undefined || !Number.isFinite(seconds) ? fallback : seconds
  return Math.min(60, Math.max(1, Math.ceil(s)))
}

/** Writes the error as JSON (or does nothing if the headers already went; the caller handles streams). */
export function sendError(res: ServerResponse, e: GatewayError, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  const body = JSON.stringify(errorBody(e))
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...e.headers,
    ...extra,
  }
  if (e.retryAfterS !== undefined) headers['retry-after'] = String(e.retryAfterS)
  res.writeHead(e.status, headers).end(body)
}

/** The same error as the last event of an SSE stream whose 200 already went (vLLM's in-stream failure, §3.2). */
export function sseError(e: GatewayError): string {
  return `data: ${JSON.stringify(errorBody(e))}\n\ndata: [DONE]\n\n`
}

export const badRequest = (message: string, code = 'invalid_request', param: string | null = null): GatewayError => ({
  status: 400,
  type: 'invalid_request_error',
  code,
  param,
  message,
})
