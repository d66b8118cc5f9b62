import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const COOKIE_NAME = 'inferadmin_token'

export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!header) return out
  for (const part of header.split(';')) {
    const i = part.indexOf('=')
    if (i < 0) continue
    const k = part.slice(0, i).trim()
    const v = part.slice(i + 1).trim()
    try {
      out[k] = decodeURIComponent(v)
    } catch {
      out[k] = v
    }
  }
  return out
}

/** Token from `Authorization: Bearer …` or the session cookie. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim()
  return parseCookies(req.headers.cookie)[COOKIE_NAME]
}

export class TokenAuth {
  constructor(private readonly token: string) {}

  check(candidate: string | undefined | null): boolean {
    return typeof candidate === 'string' && candidate.length > 0 && safeEqual(candidate, this.token)
  }

  isAuthorized(req: IncomingMessage): boolean {
    return this.check(presentedToken(req))
  }

  sessionCookie(): string {
    return `${COOKIE_NAME}=${encodeURIComponent(this.token)}; HttpOnly; SameSite=Strict; Path=/`
  }
}

/**
 * WebSocket upgrades from browsers carry an Origin; it must be this server's own origin so another
 * site open in the same browser cannot drive the API with the user's cookie. Clients that are not
 * browsers send no Origin and must use the bearer token.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  if (origin === undefined) return req.headers.authorization?.startsWith('Bearer ') === true
  const host = req.headers.host
  if (!host) return false
  return origin === `http://${host}` || origin === `https://${host}`
}
