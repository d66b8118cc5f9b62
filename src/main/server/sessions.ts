import { createHash, randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** How long a browser session lasts (the cookie's Max-Age and the server-side expiry). */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000
/** At most this many sessions; opening the token link more often drops the oldest. */
export const MAX_SESSIONS = 64

export const sessionsFilePath = (configDir: string): string => join(configDir, 'sessions.json')

interface StoredSession {
  /** sha256 of the secret (hex): the file never holds a usable cookie. */
  id: string
  expiresAt: number
}

const hash = (secret: string): string => createHash('sha256').update(secret).digest('hex')

/**
 * Browser sessions of the headless server. A session is a random secret of its own, handed to the browser
 * in an HttpOnly cookie when the `?token=` link is opened; the API token itself never goes into a cookie.
 * Sessions expire after SESSION_TTL_MS, survive a restart (persisted hashed in `sessions.json`, 0600) and
 * end all at once with `revokeAll()` (`inferadmin serve --new-token`).
 */
export class SessionStore {
  private readonly sessions = new Map<string, number>()
  private writing: Promise<void> = Promise.resolve()

  private constructor(
    private readonly file: string | undefined,
    private readonly now: () => number,
  ) {}

  /** Opens the store, reading `file` when given (in memory only otherwise); expired sessions are dropped. */
  static async open(opts: { file?: string; now?: () => number } = {}): Promise<SessionStore> {
    const store = new SessionStore(opts.file, opts.now ?? Date.now)
    if (opts.file) {
      const stored = await readFile(opts.file, 'utf8')
        .then((text) => (JSON.parse(text) as { sessions?: StoredSession[] }).sessions ?? [])
        .catch(() => [] as StoredSession[])
      for (const s of stored) {
        const ok = typeof s?.id === 'string' && /^[0-9a-f]{64}$/.test(s.id) && typeof s.expiresAt === 'number'
        if (ok) store.sessions.set(s.id, s.expiresAt)
      }
      store.dropExpired()
    }
    return store
  }

  get size(): number {
    this.dropExpired()
    return this.sessions.size
  }

  /** A new session; returns its secret (the cookie value). */
  async create(): Promise<string> {
    const secret = randomBytes(32).toString('base64url')
    this.dropExpired()
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions.entries()].reduce((a, b) => (b[1] < a[1] ? b : a))
      this.sessions.delete(oldest[0])
    }
    this.sessions.set(hash(secret), this.now() + SESSION_TTL_MS)
    await this.persist()
    return secret
  }

  /** Whether `secret` is a live session. */
  valid(secret: string | undefined): boolean {
    if (!secret || secret.length > 128) return false
    const expiresAt = this.sessions.get(hash(secret))
    return expiresAt !== undefined && expiresAt > this.now()
  }

  /**
   * Keeps a session in use alive: once less than half its lifetime is left, it lasts SESSION_TTL_MS from now
   * again (true: the caller re-sends the cookie with a full Max-Age). Written at most once per half-life.
   */
  async renew(secret: string | undefined): Promise<boolean> {
    if (!this.valid(secret)) return false
    const id = hash(secret as string)
    const now = this.now()
    if ((this.sessions.get(id) ?? 0) - now > SESSION_TTL_MS / 2) return false
    this.sessions.set(id, now + SESSION_TTL_MS)
    await this.persist()
    return true
  }

  async revoke(secret: string): Promise<void> {
    if (this.sessions.delete(hash(secret))) await this.persist()
  }

  /** Ends every session (a new token was issued). */
  async revokeAll(): Promise<void> {
    this.sessions.clear()
    await this.persist()
  }

  private dropExpired(): void {
    const now = this.now()
    for (const [id, expiresAt] of this.sessions) if (expiresAt <= now) this.sessions.delete(id)
  }

  /** Writes the table (atomically: temp file + rename); writes run one after another. */
  private persist(): Promise<void> {
    const file = this.file
    if (!file) return Promise.resolve()
    const data = JSON.stringify({ sessions: [...this.sessions].map(([id, expiresAt]) => ({ id, expiresAt })) }, null, 2) + '\n'
    const next = this.writing.then(async () => {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 })
      const tmp = `${file}.${process.pid}.tmp`
      await rm(tmp, { force: true })
      await writeFile(tmp, data, { mode: 0o600 })
      await chmod(tmp, 0o600)
      await rename(tmp, file)
    })
    this.writing = next.catch(() => undefined)
    return next
  }
}
