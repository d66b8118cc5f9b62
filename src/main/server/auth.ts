import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { sameOrigin } from './guards'
import { SESSION_TTL_MS, type SessionStore } from './sessions'

/** The browser session cookie: a session secret of its own, never the API token. */
export const COOKIE_NAME = 'inferadmin_session'

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

/** How a request proved who it is: the API token in `Authorization: Bearer …`, or a browser session cookie. */
export type AuthVia = 'bearer' | 'session'

/**
 * The API token (server.json) is accepted only in the Authorization header; the `?token=` link trades it
 * for a session cookie, so browsers — which send cookies to every port of the host, Open WebUI's and the
 * vLLM containers' included — never hold the token itself.
 */
export class TokenAuth {
  constructor(
    private readonly token: string,
    readonly sessions: SessionStore,
  ) {}

  check(candidate: string | undefined | null): boolean {
    return typeof candidate === 'string' && candidate.length > 0 && safeEqual(candidate, this.token)
  }

  authenticate(req: IncomingMessage): AuthVia | undefined {
    const auth = req.headers.authorization
    if (auth?.startsWith('Bearer ')) return this.check(auth.slice(7).trim()) ? 'bearer' : undefined
    return this.sessions.valid(parseCookies(req.headers.cookie)[COOKIE_NAME]) ? 'session' : undefined
  }

  /**
   * A new session and its Set-Cookie value: HttpOnly, SameSite=Strict, Path=/, Max-Age = the session's lifetime
   * (it outlives a browser restart), and Secure when the page was reached over HTTPS.
   */
  async newSessionCookie(secure = false): Promise<string> {
    return sessionCookie(await this.sessions.create(), secure)
  }

  /** The Set-Cookie value that extends the request's session when it is past half its life (see SessionStore.renew). */
  async renewedSessionCookie(req: IncomingMessage): Promise<string | undefined> {
    const secret = parseCookies(req.headers.cookie)[COOKIE_NAME]
    return (await this.sessions.renew(secret)) ? sessionCookie(secret as string, reachedOverHttps(req)) : undefined
  }
}

function sessionCookie(secret: string, secure: boolean): string {
  const cookie = `${COOKIE_NAME}=${secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}`
  return secure ? `${cookie}; Secure` : cookie
}

/**
 * Whether the browser reached this request over HTTPS: a TLS socket, or a reverse proxy in front that says so
 * (`X-Forwarded-Proto: https`). Trusting the header is safe here: it only ever makes the cookie stricter.
 */
export function reachedOverHttps(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true
  const proto = req.headers['x-forwarded-proto']
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase()
  return first === 'https'
}

/**
 * WebSocket upgrades from browsers carry an Origin; it must be this server's own origin so another
 * site open in the same browser cannot drive the API with the user's cookie. Clients that are not
 * browsers send no Origin and must use the bearer token.
 */
export function originAllowed(req: IncomingMessage, via: AuthVia): boolean {
  if (req.headers.origin === undefined) return via === 'bearer'
  return sameOrigin(req)
}
