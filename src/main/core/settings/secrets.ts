import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Logger } from 'pino'
import type { SecretCodec } from './backend'

/** hfToken: the user's; webui*: Open WebUI's session key and InferAdmin's admin password there (generated, kept). */
export const SECRET_NAMES = ['hfToken', 'webuiSecretKey', 'webuiAdminPassword'] as const
export type SecretName = (typeof SECRET_NAMES)[number]

/**
 * Secrets at rest: `<configDir>/secrets.json` (mode 0600), each value encrypted by the codec and
 * base64-encoded. Values are only handed to backend services, never to a client or a log.
 */
export class SecretStore {
  private readonly file: string
  private cache: Partial<Record<SecretName, string>> = {}
  /** Encoded values this codec cannot read, written back unchanged unless the user replaces them. */
  private opaque: Partial<Record<SecretName, string>> = {}

  constructor(
    configDir: string,
    private readonly codec: SecretCodec,
    private readonly logger: Logger,
  ) {
    this.file = join(configDir, 'secrets.json')
    this.load()
  }

  has(name: SecretName): boolean {
    return typeof this.cache[name] === 'string' && this.cache[name] !== ''
  }

  get(name: SecretName): string | undefined {
    return this.cache[name]
  }

  set(name: SecretName, value: string | null): void {
    delete this.opaque[name]
    if (value === null) delete this.cache[name]
    else this.cache[name] = value
    this.persist()
    this.logger.info({ secret: name, set: value !== null }, 'secret updated')
  }

  private load(): void {
    if (!existsSync(this.file)) return
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, unknown>
      for (const [key, v] of Object.entries(raw)) {
        if (!(SECRET_NAMES as readonly string[]).includes(key) || typeof v !== 'string') continue
        const k = key as SecretName
        try {
          this.cache[k] = this.codec.decrypt(Buffer.from(v, 'base64'))
        } catch (err) {
          // Keep the stored value untouched (another mode of the app can read it); treat it as unset here.
          this.opaque[k] = v
          this.logger.warn({ secret: k, reason: (err as Error).message }, 'secret not readable with this codec; treated as not set')
        }
      }
    } catch (err) {
      const backup = `${this.file}.unreadable-${Date.now()}`
      renameSync(this.file, backup)
      this.logger.warn({ backup, err: (err as Error).message }, 'secrets file unreadable; moved aside, secrets must be entered again')
    }
  }

  private persist(): void {
    mkdirSync(dirname(this.file), { recursive: true })
    const out: Record<string, string> = { ...(this.opaque as Record<string, string>) }
    for (const [k, v] of Object.entries(this.cache)) {
      if (typeof v === 'string') out[k] = this.codec.encrypt(v).toString('base64')
    }
    const tmp = `${this.file}.tmp`
    writeFileSync(tmp, JSON.stringify(out), { mode: 0o600 })
    chmodSync(tmp, 0o600)
    renameSync(tmp, this.file)
  }
}
