import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Settings } from '../../../shared/settings'
import { portHolder } from '../docker/port-holder'
import { AppError } from '../errors'
import { latestOnly, Publisher, type Disposable } from '../events/publisher'
import type { SecretStore } from '../settings/secrets'
import type { SettingsService } from '../settings/settings-service'
import type { GatewayBackends } from './backends'
import { GatewayServer, type BackendTraffic, type GatewayStatus } from './gateway-server'
import { GatewayKeys, type GatewayKeyInfo } from './keys'
import type { GatewayListenError } from './listen-error'
import type { GatewayLogEntry } from './request-log'

/** What the REST API and the UI see of the gateway. */
export interface GatewayView extends GatewayStatus {
  enabled: boolean
  keys: GatewayKeyInfo[]
  /** Why keys cannot be checked (a damaged keys file): every key is refused until it is fixed. */
  keysError: string | null
}

const options = (s: Settings) => ({
  maxWaitMs: s.gatewayMaxWaitMinutes * 60_000,
  queueLimit: s.gatewayQueueLimit,
  loadProgress: s.gatewayLoadProgress,
  requireKeyOnLoopback: s.gatewayKeyOnLoopback,
})

/**
 * The gateway as the app runs it: a GatewayServer on Settings' gateway port and listen interface (made anew when
 * those change; the other settings apply at once), its API keys, Open WebUI's own key, and a status stream. A port
 * in use is reported (status().error, the doctor, the System page) and the rest of the app keeps running.
 */
export class Gateway {
  readonly keys: GatewayKeys
  private server: GatewayServer | null = null
  private error: GatewayListenError | null = null
  private readonly changes = new Publisher<void>()
  private activity: Disposable | null = null
  private readonly settingsSub: Disposable
  private restarting: Promise<void> = Promise.resolve()

  constructor(
    private readonly o: {
      backends: GatewayBackends
      settings: Pick<SettingsService, 'get' | 'onChange'>
      secrets: Pick<SecretStore, 'get' | 'set'>
      logger: Logger
      registry?: Registry
      dataDir: string
    },
  ) {
    this.keys = new GatewayKeys({ dataDir: o.dataDir })
    this.settingsSub = o.settings.onChange((next, prev) => {
      const relisten = ['gatewayEnabled', 'gatewayPort', 'listenInterface'] as const
      if (relisten.some((k) => next[k] !== prev[k])) this.restarting = this.restarting.then(() => this.restart())
      else this.server?.configure(options(next))
      this.changes.publish()
    })
  }

  /** Listen (when enabled); a listen failure is kept for status(), never thrown. */
  start(): Promise<void> {
    this.restarting = this.restarting.then(() => this.restart())
    return this.restarting
  }

  /** Serving now: the deployments then publish on loopback only, with the gateway's key. */
  running(): boolean {
    return !!this.server && !this.error
  }

  status(): GatewayView {
    const s = this.o.settings.get()
    const base: GatewayStatus = this.server?.status() ?? {
      running: false,
      url: null,
      port: s.gatewayPort,
      host: s.listenInterface,
      error: null,
      keysRequiredOnLoopback: s.gatewayKeyOnLoopback,
      models: [],
    }
    return {
      ...base,
      running: this.running(),
      error: this.error,
      enabled: s.gatewayEnabled,
      keys: this.keys.list(),
      keysError: this.keys.loadError,
    }
  }

  load(name: string): void {
    this.serving().load(name)
  }

  unload(name: string): Promise<void> {
    return this.serving().unload(name)
  }

  createKey(name: string, requestsPerMinute?: number | null): { key: string; info: GatewayKeyInfo } {
    const r = this.keys.create({ name, requestsPerMinute })
    this.changes.publish()
    return r
  }

  revokeKey(id: string): void {
    this.keys.revoke(id)
    this.changes.publish()
  }

  /** Requests in flight for a deployment and its last use (epoch ms); none while the gateway is off. */
  traffic(id: string): BackendTraffic {
    return this.server?.traffic(id) ?? { inFlight: 0, lastUsedAt: null, requestTimes: [] }
  }

  log(limit?: number): GatewayLogEntry[] {
    return this.server?.log.list(limit) ?? []
  }

  /** Open WebUI's key for its one connection: made once (named "Open WebUI"), kept encrypted, made again if revoked. */
  webuiKey(): string {
    const kept = this.o.secrets.get('gatewayWebuiKey')
    if (kept && this.keys.verify(kept)) return kept
    const { key } = this.createKey('Open WebUI')
    this.o.secrets.set('gatewayWebuiKey', key)
    return key
  }

  /** Any change of what status() says (coalesced: a reader gets the latest). */
  onChange(fn: () => void): Disposable {
    return this.changes.subscribe(fn)
  }

  /** The status now, then again after each change (a burst of requests collapses to one), until `signal` aborts. */
  async *watch(signal?: AbortSignal): AsyncGenerator<GatewayView> {
    for await (const _ of this.changes.stream(signal, { initial: () => [undefined], enqueue: latestOnly })) yield this.status()
  }

  async dispose(): Promise<void> {
    this.settingsSub.dispose()
    await this.restarting
    await this.stopServer()
    this.changes.clear()
  }

  private serving(): GatewayServer {
    if (this.server && !this.error) return this.server
    const why = this.error ? ` ${this.error.message}` : ' It is turned off in Settings.'
    throw new AppError('UNAVAILABLE', `The gateway is not running.${why}`, { fix: this.error?.fix ?? 'Turn the gateway on in Settings.' })
  }

  private async restart(): Promise<void> {
    await this.stopServer()
    const s = this.o.settings.get()
    this.error = null
    if (!s.gatewayEnabled) return this.changes.publish()
    const server = new GatewayServer({
      backends: this.o.backends,
      keys: this.keys,
      logger: this.o.logger,
      registry: this.o.registry,
      options: { port: s.gatewayPort, host: s.listenInterface, ...options(s) },
    })
    this.server = server
    this.activity = server.onActivity(() => this.changes.publish())
    const r = await server.start()
    if (!r.ok) {
      const holder = r.error.code === 'EADDRINUSE' ? await portHolder(s.gatewayPort) : null
      const by = holder ? ` It is held by ${holder.name}${holder.name === 'InferAdmin itself' ? '' : ` (pid ${holder.pid})`}.` : ''
      this.error = { ...r.error, message: `${r.error.message}${by}` }
    }
    this.changes.publish()
  }

  private async stopServer(): Promise<void> {
    this.activity?.dispose()
    this.activity = null
    const server = this.server
    this.server = null
    await server?.dispose()
  }
}

/** The doctor's line for the gateway: listening (where), off, or not listening with the reason and the fix. */
export function gatewayCheck(s: Pick<GatewayView, 'enabled' | 'running' | 'url' | 'host' | 'port' | 'error'>): {
  id: string
  title: string
  status: 'ok' | 'warn' | 'fail'
  detail: string
  fix: string | null
} {
  const title = 'OpenAI-compatible gateway'
  if (!s.enabled)
    return { id: 'gateway', title, status: 'ok', detail: 'Turned off in Settings: each model is reached on its own port.', fix: null }
  if (s.running && s.url) return { id: 'gateway', title, status: 'ok', detail: `Listening on ${s.host}:${s.port} (${s.url}).`, fix: null }
  return {
    id: 'gateway',
    title,
    status: 'warn',
    detail: s.error?.message ?? `Not listening on ${s.host}:${s.port}.`,
    fix: s.error?.fix ?? 'Check the gateway port and listen address in Settings.',
  }
}
