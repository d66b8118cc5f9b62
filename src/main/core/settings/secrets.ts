import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Logger } from 'pino'
import type { SecretCodec } from './backend'

/**
 * hfToken: the user's; webui*: Open WebUI's session key and InferAdmin's admin password there (generated, kept);
 * gatewayUpstream: the secret the per-deployment vLLM keys derive from; gatewayWebuiKey: Open WebUI's gateway key.
 */
export const SECRET_NAMES = ['hfToken', 'webuiSecretKey', 'webuiAdminPassword', 'gatewayUpstream', 'gatewayWebuiKey'] as const
export type SecretName = (typeof SECRET_NAMES)[number]
/** Secrets that may be kept per scope (hfToken: per Hub origin), stored as `<name>@<scope>`. */
type ScopedName = 'hfToken'
const SCOPABLE: readonly string[] = ['hfToken'] satisfies ScopedName[]

/**
 * Secrets at rest: `<configDir>/secrets.json` (mode 0600), each value encrypted by the codec and
 * base64-encoded. Values are only handed to backend services, never to a client or a log.
 * A scoped secret (see scopeBy) answers get/has/set for its current scope only: the Hugging Face token saved
 * for one Hub is never handed out while another Hub is configured.
 */
export class SecretStore {
  private readonly file: string
  /** By storage key: the name, or `<name>@<scope>` for a scoped secret. */
  private cache: Record<string, string> = {}
  /** Encoded values this codec cannot read, written back unchanged unless the user replaces them. */
  private opaque: Record<string, string> = {}
  private readonly scopes = new Map<ScopedName, () => string>()

  constructor(
    configDir: string,
    private readonly codec: SecretCodec,
    private readonly logger: Logger,
  ) {
    this.file = join(configDir, 'secrets.json')
    this.load()
  }

  /**
   * From now on `name` is kept per scope (`current()` is asked at every call). A value saved before scoping
   * existed was used with the scope current now, so it is bound to that one.
   */
  scopeBy(name: ScopedName, current: () => string): void {
    this.scopes.set(name, current)
    const legacy = this.cache[name]
    const legacyOpaque = this.opaque[name]
    if (legacy === undefined && legacyOpaque === undefined) return
    const key = this.key(name)
    if (legacy !== undefined && this.cache[key] === undefined) this.cache[key] = legacy
    if (legacyOpaque !== undefined && this.opaque[key] === undefined && this.cache[key] === undefined) this.opaque[key] = legacyOpaque
    delete this.cache[name]
    delete this.opaque[name]
    this.persist()
    this.logger.info({ secret: name, scope: current() }, 'secret bound to its scope')
  }

  /** The current scope of a scoped secret (undefined when it is not scoped). */
  scopeOf(name: ScopedName): string | undefined {
    return this.scopes.get(name)?.()
  }

  /** Scopes that hold a value of `name` (readable or not), the current one included when set. */
  savedScopes(name: ScopedName): string[] {
    const prefix = `${name}@`
    const keys = [...Object.keys(this.cache), ...Object.keys(this.opaque)].filter((k) => k.startsWith(prefix))
    return [...new Set(keys.map((k) => k.slice(prefix.length)))].sort()
  }

  has(name: SecretName): boolean {
    const v = this.cache[this.key(name)]
    return typeof v === 'string' && v !== ''
  }

  get(name: SecretName): string | undefined {
    return this.cache[this.key(name)]
  }

  set(name: SecretName, value: string | null): void {
    const key = this.key(name)
    delete this.opaque[key]
    if (value === null) delete this.cache[key]
    else this.cache[key] = value
    this.persist()
    this.logger.info({ secret: name, scope: this.scopeOf(name as ScopedName), set: value !== null }, 'secret updated')
  }

  private key(name: SecretName): string {
    const scope = this.scopes.get(name as ScopedName)
    return scope ? `${name}@${scope()}` : name
  }

  private load(): void {
    if (!existsSync(this.file)) return
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, unknown>
      for (const [k, v] of Object.entries(raw)) {
        const at = k.indexOf('@')
        const known = at < 0 ? (SECRET_NAMES as readonly string[]).includes(k) : SCOPABLE.includes(k.slice(0, at)) && at < k.length - 1
        if (!known || typeof v !== 'string') continue
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
