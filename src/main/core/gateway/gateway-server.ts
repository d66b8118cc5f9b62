import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { httpUrl, reachHost } from '../docker/net'
import type { Registry } from 'prom-client'
import { AppError } from '../errors'
import { Publisher, type Disposable } from '../events/publisher'
import type { Logger } from '../logging/logger'
import {
  isServing,
  primaryName,
  publicState,
  type GatewayBackend,
  type GatewayBackends,
  type PublicModelState,
  type ServeMode,
} from './backends'
import { admit, handleModelRequest, type HandlerContext } from './gateway-handler'
import { Holds } from './hold'
import { IdleTimers } from './idle'
import type { GatewayKeyInfo } from './keys'
import { GatewayMetrics } from './metrics'
import { listenError, type GatewayListenError } from './listen-error'
import { sendError, type GatewayError } from './openai-error'
import { RateLimiter } from './rate-limit'
import { RequestLog } from './request-log'
import { MODEL_ROUTES, modelCards, resolveModel } from './routing'

/** The gateway's settings. Everything but port and host may change while it runs (configure()). */
export interface GatewayOptions {
  port: number
  /** The listen interface (Settings' listen address); '0.0.0.0' for all. */
  host: string
  /** Longest a request is held while its model loads (default 10 min). */
  maxWaitMs?: number
  /** Most requests held per model at once (default 100). */
  queueLimit?: number
  /** Load progress for held streaming requests (default on). */
  loadProgress?: boolean
  /** Requests from this machine need a key too (default off). */
  requireKeyOnLoopback?: boolean
  /** Largest request body (default 64 MiB: audio files). */
  maxBodyBytes?: number
  /** SSE keep-alive comment interval while a stream is held (default 15 s). */
  heartbeatMs?: number
}

export interface GatewayDeps {
  backends: GatewayBackends
  keys: { verify(key: string): GatewayKeyInfo | null }
  logger: Logger
  /** The core's Prometheus registry; the gateway adds its inferadmin_gateway_* metrics. */
  registry?: Registry
  options: GatewayOptions
  /** Monotonic ms clock (tests). */
  now?: () => number
}

/** One backend's traffic, for the memory planner (epoch ms). */
export interface BackendTraffic {
  inFlight: number
  lastUsedAt: number | null
  requestTimes: number[]
}

export type GatewayStartResult = { ok: true; url: string } | { ok: false; error: GatewayListenError }

export interface GatewayModelStatus {
  id: string
  name: string
  names: string[]
  serve: ServeMode
  state: PublicModelState
  inFlight: number
  held: number
  /** ISO times, null if never / not scheduled. */
  lastUsed: string | null
  unloadAt: string | null
  phase: string | null
  progress: number | null
  etaSeconds: number | null
}

export interface GatewayStatus {
  running: boolean
  /** The OpenAI base URL (ends in /v1); null while not listening. */
  url: string | null
  port: number
  host: string
  error: GatewayListenError | null
  /** Requests from this machine need a key (other machines always do). */
  keysRequiredOnLoopback: boolean
  models: GatewayModelStatus[]
}

const DEFAULTS = {
  maxWaitMs: 600_000,
  queueLimit: 100,
  loadProgress: true,
  requireKeyOnLoopback: false,
  maxBodyBytes: 64 * 1048576,
  heartbeatMs: 15_000,
}

const notFound = (what: string): GatewayError => ({
  status: 404,
  type: 'invalid_request_error',
  code: 'unknown_route',
  message: `${what} is not a gateway route. It serves GET /v1/models and POST ${[...MODEL_ROUTES.keys()].slice(0, 6).join(', ')} and the other vLLM routes that name a model.`,
})

/**
 * The OpenAI-compatible gateway: one port for every deployment set to serve, routed by `model`, started on demand,
 * held while loading, unloaded when idle. Plain node:http in front of the vLLM containers; state from GatewayBackends'
 * change events only (no polling).
 */
export class GatewayServer {
  readonly log = new RequestLog()
  readonly #deps: GatewayDeps
  readonly #o: Required<GatewayOptions>
  readonly #ctx: HandlerContext
  readonly #holds: Holds
  readonly #idle: IdleTimers
  readonly #metrics: GatewayMetrics | null
  readonly #agent = new Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' })
  readonly #serve = new Map<string, ServeMode>()
  readonly #activity = new Publisher<void>()
  #server: Server | null = null
  #sub: Disposable | null = null
  #error: GatewayListenError | null = null
  #starting: Promise<GatewayStartResult> | null = null
  #created = Math.floor(Date.now() / 1000)

  constructor(deps: GatewayDeps) {
    this.#deps = deps
    this.#o = { ...DEFAULTS, ...deps.options }
    const now = deps.now ?? (() => performance.now())
    const load = () =>
      deps.backends.list().map((b) => ({ model: primaryName(b), inFlight: this.#inFlight(b.id), held: this.#holds.held(b.id) }))
    this.#metrics = deps.registry ? new GatewayMetrics(deps.registry, load) : null
    this.#holds = new Holds(
      deps.backends,
      Object.assign(this.#o, { now, onColdStart: (b: GatewayBackend, ms: number) => this.#metrics?.coldStart(primaryName(b), ms) }),
    )
    this.#idle = new IdleTimers(deps.backends, {
      now,
      onUnload: (b) => {
        this.#metrics?.unload(primaryName(b), 'idle')
        deps.logger.info({ model: primaryName(b), idleMinutes: b.idleMinutes }, 'gateway: unloading an idle model')
      },
      onError: (b, err) => deps.logger.warn({ model: primaryName(b), err }, 'gateway: the idle unload failed'),
    })
    this.#ctx = {
      backends: deps.backends,
      keys: deps.keys,
      holds: this.#holds,
      idle: this.#idle,
      limiter: new RateLimiter(),
      log: this.log,
      metrics: this.#metrics,
      logger: deps.logger,
      agent: this.#agent,
      options: this.#o,
      now,
      activity: () => this.#activity.publish(),
    }
  }

  /**
   * Listen, start the always-on models, follow the backends. A listen failure is returned (and kept for status()),
   * never thrown; start() may then be called again.
   */
  start(): Promise<GatewayStartResult> {
    if (!this.#starting) {
      const p = this.#listen()
      this.#starting = p
      void p.then((r) => void (!r.ok && this.#starting === p && (this.#starting = null)))
    }
    return this.#starting
  }

  async #listen(): Promise<GatewayStartResult> {
    const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.#handle(req, res))
    this.#server = server
    const { port, host } = this.#o
    const error = await new Promise<GatewayListenError | null>((resolve) => {
      server.once('error', (err: NodeJS.ErrnoException) => resolve(listenError(err, host, port)))
      server.listen(port, host, () => resolve(null))
    })
    this.#error = error
    if (error) {
      // start() may be called again (e.g. once the other program has freed the port).
      this.#server = null
      server.close()
      this.#deps.logger.error({ code: error.code, port, host }, `gateway: ${error.message} ${error.fix}`)
      return { ok: false, error }
    }
    this.#created = Math.floor(Date.now() / 1000)
    this.#sub = this.#deps.backends.onChange(() => this.#onChange())
    this.#onChange()
    this.#deps.logger.info({ url: this.#url() }, 'gateway: listening')
    return { ok: true, url: this.#url() as string }
  }

  /** Settings that apply at once (port and host need a new GatewayServer). */
  configure(o: Partial<Omit<GatewayOptions, 'port' | 'host'>>): void {
    for (const [k, v] of Object.entries(o)) if (v !== undefined) (this.#o as unknown as Record<string, unknown>)[k] = v
  }

  /** The port it listens on (the real one when constructed with port 0). */
  get port(): number {
    const a = this.#server?.address()
    return a && typeof a === 'object' ? a.port : this.#o.port
  }

  /**
   * Called when status() may have changed: a request began, was held or ended, or a backend changed. Frequent under
   * load: a UI should coalesce (e.g. re-read status() at most every 250 ms).
   */
  onActivity(listener: () => void): Disposable {
    return this.#activity.subscribe(listener)
  }

  status(): GatewayStatus {
    const models = this.#deps.backends
      .list()
      .filter((b) => b.serve !== 'off')
      .map((b): GatewayModelStatus => {
        const lastUsed = this.#idle.lastUsedAt(b.id)
        const unloadAt = this.#idle.deadline(b.id)
        return {
          id: b.id,
          name: primaryName(b),
          names: [...b.servedNames, ...(b.aliases ?? [])],
          serve: b.serve,
          state: publicState(b),
          inFlight: this.#inFlight(b.id),
          held: this.#holds.held(b.id),
          lastUsed: lastUsed === null ? null : this.#wall(lastUsed),
          unloadAt: unloadAt === null ? null : this.#wall(unloadAt),
          phase: b.phase ?? null,
          progress: b.progress ?? null,
          etaSeconds: b.etaSeconds ?? null,
        }
      })
    const running = !!this.#server?.listening
    const { host } = this.#o
    return {
      running,
      url: this.#url(),
      port: this.port,
      host,
      error: this.#error,
      keysRequiredOnLoopback: this.#o.requireKeyOnLoopback,
      models,
    }
  }

  /** Start a model by any of its names (REST load). */
  load(name: string): void {
    const b = this.#resolve(name)
    if (!isServing(b))
      void Promise.resolve(this.#deps.backends.start(b.id)).catch((err: unknown) =>
        this.#deps.logger.warn({ model: name, err }, 'gateway: load failed'),
      )
  }

  /** Stop a model by any of its names (REST unload); requests in flight are cut off, as with llama-swap's unload. */
  async unload(name: string): Promise<void> {
    const b = this.#resolve(name)
    if (b.state === 'stopped' || b.state === 'stopping') return
    this.#metrics?.unload(primaryName(b), 'manual')
    await this.#deps.backends.stop(b.id, 'manual')
  }

  async dispose(): Promise<void> {
    await this.#starting
    this.#sub?.dispose()
    this.#sub = null
    this.#holds.dispose()
    this.#idle.dispose()
    const server = this.#server
    this.#server = null
    if (server?.listening) {
      const closed = new Promise<void>((r) => server.close(() => r()))
      server.closeAllConnections()
      await closed
    }
    this.#agent.destroy()
  }

  #resolve(name: string): GatewayBackend {
    const r = resolveModel(this.#deps.backends.list(), name)
    if (r.ok) return r.backend
    const code = r.error.status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST'
    throw new AppError(code, r.error.message, { fix: 'Use a name from the Gateway page (GET /v1/models lists them).' })
  }

  /**
   * Requests in flight for a backend, when it was last used and when its requests of the last hour arrived (epoch
   * ms): the memory planner's eviction rules.
   */
  traffic(id: string): BackendTraffic {
    const last = this.#idle.lastUsedAt(id)
    const epoch = (t: number): number => Date.parse(this.#wall(t))
    const requestTimes = this.#idle.arrivals(id).map(epoch)
    return { inFlight: this.#inFlight(id), lastUsedAt: last === null ? null : epoch(last), requestTimes }
  }

  #inFlight(id: string): number {
    return Math.max(0, this.#idle.active(id) - this.#holds.held(id))
  }

  /** A monotonic time as an ISO wall-clock time. */
  #wall(t: number): string {
    const now = this.#ctx.now()
    return new Date(Date.now() + (t - now)).toISOString()
  }

  #url(): string | null {
    if (!this.#server?.listening) return null
    return httpUrl(reachHost(this.#o.host), this.port, '/v1')
  }

  #onChange(): void {
    this.#holds.update()
    this.#idle.update()
    this.#activity.publish()
    for (const b of this.#deps.backends.list()) {
      const before = this.#serve.get(b.id)
      this.#serve.set(b.id, b.serve)
      // Always-on models start with the gateway, and when switched to always-on; a stop by hand is respected after.
      if (b.serve === 'always-on' && before !== 'always-on' && (b.state === 'stopped' || b.state === 'sleeping')) {
        void Promise.resolve(this.#deps.backends.start(b.id)).catch((err: unknown) =>
          this.#deps.logger.warn({ model: primaryName(b), err }, 'gateway: an always-on model did not start'),
        )
      }
    }
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/'
    const pathname = path.split('?')[0] as string
    const kind = MODEL_ROUTES.get(pathname)
    if (kind) {
      if (req.method !== 'POST')
        return sendError(
          res,
          { status: 405, type: 'invalid_request_error', code: 'method_not_allowed', message: `${pathname} takes POST.` },
          { allow: 'POST' },
        )
      handleModelRequest(this.#ctx, req, res, kind, path).catch((err: unknown) => {
        this.#deps.logger.error({ err, path: pathname }, 'gateway: request failed')
        sendError(res, {
          status: 500,
          type: 'server_error',
          code: 'gateway_error',
          message: `The gateway failed on this request: ${(err as Error).message}`,
        })
        if (res.headersSent && !res.writableEnded) res.destroy()
      })
      return
    }
    if (req.method === 'GET' && pathname === '/health')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    if (req.method === 'GET' && (pathname === '/v1/models' || pathname.startsWith('/v1/models/'))) return this.#models(req, res, pathname)
    req.resume()
    sendError(res, notFound(`${req.method} ${pathname}`))
  }

  /** GET /v1/models (and /v1/models/{id}): from the gateway's own state, at once (Open WebUI gives up after 10 s). */
  #models(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const who = admit(this.#ctx, req)
    if (!who.ok) return sendError(res, who.error)
    const cards = modelCards(this.#deps.backends.list(), this.#created)
    let body: unknown = { object: 'list', data: cards }
    if (pathname !== '/v1/models') {
      let id = pathname.slice('/v1/models/'.length)
      try {
        id = decodeURIComponent(id)
      } catch {
        // not percent-encoded: taken as it is
      }
      const card = cards.find((c) => c.id === id)
      if (!card) {
        const r = resolveModel(this.#deps.backends.list(), id)
        if (!r.ok) return sendError(res, r.error)
        body = cards.find((c) => c.id === primaryName(r.backend))
      } else body = card
    }
    const text = JSON.stringify(body)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text)
  }
}
