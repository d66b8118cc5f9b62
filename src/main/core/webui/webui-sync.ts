import type { OpenAIConfig } from './webui-admin'
import { baseUrlOf } from './webui-spec'
import type { WebuiService } from './webui-service'

interface Conn {
  url: string
  key: string
  config: unknown
}

const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/**
 * Make Open WebUI's OpenAI connections = the ready deployments (+ connections the user added there by hand),
 * through its admin API; on failure the status carries the one manual step. Never leaves a stale list
 * unreported.
 */
export async function syncConnections(svc: WebuiService, signal?: AbortSignal): Promise<void> {
  const endpoints = svc.o.endpoints.list()
  const ours: Conn[] = endpoints.map((e) => ({
    url: baseUrlOf(e.port),
    key: e.apiKey ?? '',
    config: { enable: true, tags: [], prefix_id: '', model_ids: [], connection_type: 'local' },
  }))
  const ourUrls = ours.map((c) => c.url)
  svc.setSync({ state: 'syncing' })
  try {
    const admin = svc.admin()
    const current: OpenAIConfig = await admin.getOpenAIConfig(signal)
    const managed = new Set(svc.record.managedUrls)
    const theirs: Conn[] = svc.record.fresh
      ? []
      : current.OPENAI_API_BASE_URLS.map((url, i) => ({
          url,
          key: current.OPENAI_API_KEYS[i] ?? '',
          config: current.OPENAI_API_CONFIGS[String(i)] ?? current.OPENAI_API_CONFIGS[url] ?? {},
        })).filter((c) => !managed.has(c.url) && !ourUrls.includes(c.url))
    const want = [...theirs, ...ours]
    const wantUrls = want.map((c) => c.url)
    let applied = current.OPENAI_API_BASE_URLS
    if (
      !same(current.OPENAI_API_BASE_URLS, wantUrls) ||
      !same(
        current.OPENAI_API_KEYS,
        want.map((c) => c.key),
      ) ||
      current.ENABLE_OPENAI_API !== true
    ) {
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
      svc.o.logger.info({ connections: wantUrls }, 'Open WebUI connections updated')
    }
    await svc.saveRecord({ managedUrls: ourUrls, fresh: false })
    svc.setSync({ state: 'in-sync', at: new Date().toISOString(), message: null, fix: null, applied })
  } catch (err) {
    svc.setSync({
      state: 'failed',
      at: new Date().toISOString(),
      message: `Open WebUI's model connections could not be updated: ${(err as Error).message}`,
      fix: `Sign in to Open WebUI as an admin, open Admin Panel → Settings → Connections and set the OpenAI API connections to ${ourUrls.length ? ourUrls.join(', ') : '(none: no deployment is ready)'}.`,
    })
    throw err
  }
}
