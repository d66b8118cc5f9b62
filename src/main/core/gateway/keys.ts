import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../errors'

/** A gateway API key as everyone may see it: never the key itself. */
export interface GatewayKeyInfo {
  id: string
  name: string
  /** The first characters of the key, to recognise it ("iagw-AbCd…"). */
  prefix: string
  /** ISO time. */
  created: string
  /** Requests per minute allowed with it; null = no limit. */
  requestsPerMinute: number | null
}

interface StoredKey extends GatewayKeyInfo {
  /** sha256 (hex) of the key: keys are 256 random bits, so a fast hash is enough. */
  sha256: string
}

interface KeyFile {
  version: 1
  keys: StoredKey[]
}

export const KEY_PREFIX = 'iagw-'
const NAME_MAX = 100
const RPM_MAX = 1_000_000

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

/** The key prefix shown for a key (also for an unknown one, in a 401). */
export const keyHint = (key: string): string => `${key.slice(0, KEY_PREFIX.length + 4)}…`

/**
 * Gateway API keys, persisted in `<dataDir>/gateway-keys.json` (0600, written whole and renamed into place). Create
 * returns the key once; only its hash is kept. A file that cannot be read leaves every key refused (fail closed)
 * and is never overwritten: `loadError` says why and what to do.
 */
export class GatewayKeys {
  readonly #file: string
  #keys: StoredKey[] = []
  readonly loadError: string | null = null

  constructor(o: { dataDir: string; fileName?: string }) {
    mkdirSync(o.dataDir, { recursive: true })
    this.#file = join(o.dataDir, o.fileName ?? 'gateway-keys.json')
    let text: string | null = null
    try {
      text = readFileSync(this.#file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.loadError = `${this.#file} cannot be read (${(err as Error).message})`
    }
    if (text !== null) {
      try {
        const parsed = JSON.parse(text) as Partial<KeyFile>
        if (parsed.version !== 1 || !Array.isArray(parsed.keys)) throw new Error('not a version 1 key file')
        this.#keys = parsed.keys.filter((k) => typeof k?.sha256 === 'string' && /^[0-9a-f]{64}$/.test(k.sha256))
      } catch (err) {
        this.loadError = `${this.#file} is not a valid key file (${(err as Error).message})`
      }
    }
  }

  list(): GatewayKeyInfo[] {
    return this.#keys.map(({ id, name, prefix, created, requestsPerMinute }) => ({ id, name, prefix, created, requestsPerMinute }))
  }

  /** A new key: the returned `key` is the only time it is shown. */
  create(o: { name: string; requestsPerMinute?: number | null }): { key: string; info: GatewayKeyInfo } {
    this.#writable()
    const name = o.name.trim()
    if (!name || name.length > NAME_MAX) {
      throw new AppError('BAD_REQUEST', `A key's name must have 1 to ${NAME_MAX} characters.`, {
        fix: 'Give the key a short name, e.g. the client it is for.',
        fields: { name: 'length' },
      })
    }
    if (this.#keys.some((k) => k.name.toLowerCase() === name.toLowerCase())) {
      throw new AppError('CONFLICT', `A key named "${name}" exists already.`, {
        fix: 'Choose another name, or revoke the old key first.',
        fields: { name: 'taken' },
      })
    }
    const rpm = o.requestsPerMinute ?? null
    if (rpm !== null && (!Number.isInteger(rpm) || rpm < 1 || rpm > RPM_MAX)) {
      throw new AppError('BAD_REQUEST', `Requests per minute must be a whole number from 1 to ${RPM_MAX} (got ${rpm}).`, {
        fix: 'Leave it empty for no limit.',
        fields: { requestsPerMinute: 'range' },
      })
    }
    const key = KEY_PREFIX + randomBytes(32).toString('base64url')
    const stored: StoredKey = {
      id: randomUUID(),
      name,
      prefix: keyHint(key),
      created: new Date().toISOString(),
      requestsPerMinute: rpm,
      sha256: sha256(key),
    }
    this.#save([...this.#keys, stored])
    const { sha256: _, ...info } = stored
    return { key, info }
  }

  revoke(id: string): void {
    this.#writable()
    if (!this.#keys.some((k) => k.id === id)) {
      throw new AppError('NOT_FOUND', `There is no gateway key with id ${id}.`, {
        fix: 'List the keys again: it may have been revoked already.',
      })
    }
    this.#save(this.#keys.filter((k) => k.id !== id))
  }

  /** The key's info if the key is one of ours (and not revoked), else null. */
  verify(key: string): GatewayKeyInfo | null {
    if (this.loadError || !key.startsWith(KEY_PREFIX)) return null
    const digest = Buffer.from(sha256(key), 'hex')
    for (const k of this.#keys) {
      if (timingSafeEqual(digest, Buffer.from(k.sha256, 'hex'))) {
        const { sha256: _, ...info } = k
        return info
      }
    }
    return null
  }

  #writable(): void {
    if (this.loadError) {
      throw new AppError('UNAVAILABLE', `Gateway keys are unavailable: ${this.loadError}.`, {
        fix: 'Repair the file, or move it away to start with no keys (every key in it then stops working), and restart InferAdmin.',
      })
    }
  }

  #save(keys: StoredKey[]): void {
    const tmp = `${this.#file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify({ version: 1, keys } satisfies KeyFile, null, 2), { mode: 0o600 })
    renameSync(tmp, this.#file)
    this.#keys = keys
  }
}
