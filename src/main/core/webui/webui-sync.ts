import type { Logger } from 'pino'
import type { WebuiSync } from '../../../shared/contract/webui'
import type { OpenAIConfig, WebuiAdminClient } from './webui-admin'
import { baseUrlOf, type ModelEndpoint } from './webui-spec'
import type { WebuiRecord } from './webui-store'

/** A failed connection update is retried this often; a good one re-checked (drift) this often. */
const RETRY_FAILED_MS = 30_000
const RECHECK_MS = 5 * 60_000

export interface Connection {
  url: string
  key: string
  config: unknown
}

const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/**
 * The connection list Open WebUI should have: the ones the user added there by hand (not ours now, never written
 * by us; none on a fresh install, whose defaults we replace), then ours. `changed`: it differs from `current`.
 */
export function planConnections(
  current: OpenAIConfig,
  ours: Connection[],
  record: Pick<WebuiRecord, 'managedUrls' | 'fresh'>,
): { want: Connection[]; changed: boolean } {
  const managed = new Set(record.managedUrls)
  const ourUrls = new Set(ours.map((c) => c.url))
  const theirs: Connection[] = record.fresh
    ? []
    : current.OPENAI_API_BASE_URLS.map((url, i) => ({
        url,
        key: current.OPENAI_API_KEYS[i] ?? '',
        config: current.OPENAI_API_CONFIGS[String(i)] ?? current.OPENAI_API_CONFIGS[url] ?? {},
      })).filter((c) => !managed.has(c.url) && !ourUrls.has(c.url))
  const want = [...theirs, ...ours]
  const changed =
    !same(
      current.OPENAI_API_BASE_URLS,
      want.map((c) => c.url),
    ) ||
    !same(
      current.OPENAI_API_KEYS,
      want.map((c) => c.key),
    ) ||
    current.ENABLE_OPENAI_API !== true
  return { want, changed }
}

export interface ConnectionSyncDeps {
  endpoints: () => ModelEndpoint[]
  store: { readonly record: Readonly<WebuiRecord>; save(patch: Partial<WebuiRecord>): Promise<void> }
  admin: () => Pick<WebuiAdminClient, 'getOpenAIConfig' | 'updateOpenAIConfig'>
  logger: Logger
  /** May a requested sync run now (Open WebUI healthy, no job moving it)? Asked when its turn comes. */
  ready: () => boolean
  /** The sync state changed. */
  onChange: () => void
}

const SIGN_IN_AS_ADMIN = 'Sign in to Open WebUI as an admin, open '
const NOT_RUNNING: WebuiSync = { state: 'not-running', at: null, message: null, fix: null, applied: [] }

/**
 * Keeps Open WebUI's OpenAI connections = the ready deployments (+ connections the user added there by hand),
 * through its admin API; on failure the state carries the one manual step, so a stale list never goes unreported.
 * One sync at a time: requests made while one waits or runs are folded into it.
 */
export class ConnectionSync {
  private state: WebuiSync = NOT_RUNNING
  private chain: Promise<void> = Promise.resolve()
  private queued = false

  constructor(private readonly o: ConnectionSyncDeps) {}

  current(): WebuiSync {
    return this.state
  }

  /** Coalesced: one sync at a time, one more queued when something changed meanwhile; skipped unless `ready()`. */
  request(): void {
    if (this.queued) return
    this.queued = true
    this.chain = this.chain.then(async () => {
      this.queued = false
      if (!this.o.ready()) return
      await this.run().catch((err: Error) => this.o.logger.warn({ err: err.message }, 'webui sync failed'))
    })
  }

  /** After what went before: sync now (the outcome is in `current()`). */
  async now(signal?: AbortSignal): Promise<void> {
    await (this.chain = this.chain.then(() => this.run(signal).catch(() => undefined)))
  }

  /** Open WebUI was observed: nothing to sync while it is not healthy; on becoming healthy, and now and then after, sync. */
  observed(healthy: boolean, becameHealthy: boolean): void {
    if (!healthy) {
      if (this.state.state !== 'failed' && this.state.state !== 'not-running') this.set({ state: 'not-running' })
      return
    }
    const age = this.state.at ? Date.now() - Date.parse(this.state.at) : Infinity
    if (becameHealthy || age > (this.state.state === 'failed' ? RETRY_FAILED_MS : RECHECK_MS)) this.request()
  }

  /** Open WebUI and its data are gone: nothing was applied. */
  reset(): void {
    this.set({ state: 'not-running', applied: [], message: null, fix: null })
  }

  /** One sync, right away; throws when Open WebUI did not take the list (the state says so too). */
  async run(signal?: AbortSignal): Promise<void> {
    const ours: Connection[] = this.o.endpoints().map((e) => ({
      url: baseUrlOf(e.port),
      key: e.apiKey ?? '',
      config: { enable: true, tags: [], prefix_id: '', model_ids: [], connection_type: 'local' },
    }))
    const ourUrls = ours.map((c) => c.url)
    this.set({ state: 'syncing' })
    try {
      const admin = this.o.admin()
      const current = await admin.getOpenAIConfig(signal)
      const { want, changed } = planConnections(current, ours, this.o.store.record)
      const wantUrls = want.map((c) => c.url)
      let applied = current.OPENAI_API_BASE_URLS
      if (changed) {
        const r = await admin.updateOpenAIConfig(
          {
            ENABLE_OPENAI_API: true,
            OPENAI_API_BASE_URLS: wantUrls,
            OPENAI_API_KEYS: want.map((c) => c.key),
            OPENAI_API_CONFIGS: Object.fromEntries(want.map((c, i) => [String(i), c.config])),
            ENABLE_API_DEBUG_LOGGING: current.ENABLE_API_DEBUG_LOGGING ?? false,
          },
          signal,
        )
        applied = r.OPENAI_API_BASE_URLS
        if (!same(applied, wantUrls))
          throw new Error(`Open WebUI kept ${applied.join(', ') || 'no connections'} instead of ${wantUrls.join(', ')}`)
        this.o.logger.info({ connections: wantUrls }, 'Open WebUI connections updated')
      }
      await this.o.store.save({ managedUrls: ourUrls, fresh: false })
      this.set({ state: 'in-sync', at: new Date().toISOString(), message: null, fix: null, applied })
    } catch (err) {
      const list = ourUrls.length ? ourUrls.join(', ') : '(none: no deployment is ready)'
      this.set({
        state: 'failed',
        at: new Date().toISOString(),
        message: `Open WebUI's model connections could not be updated: ${(err as Error).message}`,
        fix: `${SIGN_IN_AS_ADMIN}Admin Panel → Settings → Connections and set the OpenAI API connections to ${list}.`,
      })
      throw err
    }
  }

  private set(patch: Partial<WebuiSync>): void {
    this.state = { ...this.state, ...patch }
    this.o.onChange()
  }
}
