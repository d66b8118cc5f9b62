import type { IncomingHttpHeaders } from 'node:http'
import { keyHint, type GatewayKeyInfo } from './keys'
import type { GatewayError } from './openai-error'

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms: this machine (containers come from a bridge address: not loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false
  const a = address.toLowerCase().replace(/^::ffff:/, '')
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)
}

/** The key a client sent: `Authorization: Bearer <key>` (OpenAI clients) or `x-api-key` (Anthropic clients). */
export function presentedKey(h: IncomingHttpHeaders): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h.authorization ?? '')
  if (m) return m[1] as string
  const x = h['x-api-key']
  return typeof x === 'string' && x.trim() ? x.trim() : null
}

export type AuthResult = { ok: true; key: GatewayKeyInfo | null } | { ok: false; error: GatewayError }

const unauthorized = (message: string): GatewayError => ({
  status: 401,
  type: 'invalid_request_error',
  code: 'invalid_api_key',
  message,
  headers: { 'www-authenticate': 'Bearer realm="inferadmin-gateway"' },
})

/**
 * Who may call (pure): a valid key always (and is named in the log and rate-limited); from this machine, anything
 * unless `requireKeyOnLoopback` (local clients often send a dummy key such as "EMPTY": it is ignored); from anywhere
 * else, only a valid key — a missing, unknown or revoked one gets 401.
 */
export function authorize(o: {
  remoteAddress: string | undefined
  headers: IncomingHttpHeaders
  requireKeyOnLoopback: boolean
  verify: (key: string) => GatewayKeyInfo | null
}): AuthResult {
  const key = presentedKey(o.headers)
  const info = key ? o.verify(key) : null
  if (info) return { ok: true, key: info }
  if (isLoopback(o.remoteAddress) && !o.requireKeyOnLoopback) return { ok: true, key: null }
  if (!key) {
    const who = isLoopback(o.remoteAddress)
      ? 'every request (the setting to require keys on this machine is on)'
      : 'requests from other machines and containers'
    return {
      ok: false,
      error: unauthorized(
        `The gateway needs an API key for ${who}. Send it as Authorization: Bearer <key>; create one on the Gateway page in InferAdmin.`,
      ),
    }
  }
  return {
    ok: false,
    error: unauthorized(
      `Incorrect API key provided: ${keyHint(key)}. It was revoked or never existed; create one on the Gateway page in InferAdmin.`,
    ),
  }
}
