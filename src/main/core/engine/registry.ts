import { parseImageRef } from '../docker/image-ref'
import type { RawTag } from './tags'

/**
 * Registry API v2 client (vllm-facts §4.2): tags/list with Link pagination, manifests (digest, layer sizes),
 * config blobs (created date), and the bearer-token flow from a `WWW-Authenticate: Bearer realm=…` challenge.
 */

/** Where an image repository lives. Docker Hub names get `library/` for official images. */
export interface RepoRef {
  /** Registry host[:port] as in the image reference; 'docker.io' for Docker Hub. */
  host: string
  /** Path in the registry, e.g. vllm/vllm-openai. */
  name: string
  /** How Docker shows it in RepoTags (docker.io/ and library/ dropped). */
  display: string
  hub: boolean
}

const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'])

export function parseRepository(repository: string): RepoRef {
  const parts = parseImageRef(repository.trim()).repository.split('/')
  const first = parts[0] ?? ''
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')
  const host = hasHost ? first : 'docker.io'
  const rest = hasHost ? parts.slice(1) : parts
  const hub = HUB_HOSTS.has(host)
  const name = hub && rest.length === 1 ? `library/${rest[0]}` : rest.join('/')
  const display = hub ? (name.startsWith('library/') ? name.slice('library/'.length) : name) : `${host}/${name}`
  return { host: hub ? 'docker.io' : host, name, display, hub }
}

export type RegistryErrorKind = 'not_found' | 'unauthorized' | 'unreachable' | 'bad_response'

export class RegistryError extends Error {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export interface RegistryClientOptions {
  /** Base URL, e.g. https://registry-1.docker.io or http://127.0.0.1:5000. */
  baseUrl: string
  /** Basic credentials for the token endpoint (optional). */
  credentials?: { username: string; password: string }
  timeoutMs?: number
}

/** Parses `Bearer realm="…",service="…",scope="…"`. */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | null {
  if (!header) return null
  const m = /^(\w+)\s+(.*)$/.exec(header.trim())
  if (!m) return null
  const params: Record<string, string> = {}
  for (const p of (m[2] ?? '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) params[(p[1] as string).toLowerCase()] = p[2] ?? p[3] ?? ''
  return { scheme: (m[1] as string).toLowerCase(), params }
}

/** The `rel="next"` target of a Link header, resolved against the request URL. */
export function nextLink(header: string | null, base: string): string | null {
  if (!header) return null
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part)
    if (m?.[1]) return new URL(m[1], base).toString()
  }
  return null
}

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ')

interface Manifest {
  mediaType?: string
  config?: { digest: string; size: number }
  layers?: { digest: string; size: number }[]
  manifests?: { digest: string; platform?: { architecture?: string; os?: string } }[]
}

export interface ManifestInfo {
  digest: string | null
  /** Layers of the linux/amd64 image (or the only image). */
  layers: { digest: string; size: number }[]
  configDigest: string | null
  sizeBytes: number
  /** Path used to fetch the platform manifest (for the config blob). */
  name: string
}

export class RegistryClient {
  private token: { scope: string; value: string } | undefined

  constructor(private readonly opts: RegistryClientOptions) {}

  /** GET/HEAD with the bearer-token dance on 401. */
  async request(path: string, init: { method?: string; accept?: string; scope?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const url = path.startsWith('http') ? path : new URL(path, this.opts.baseUrl).toString()
    const send = async (): Promise<Response> => {
      const headers: Record<string, string> = {}
      if (init.accept) headers.accept = init.accept
      if (this.token) headers.authorization = `Bearer ${this.token.value}`
      const signals = [AbortSignal.timeout(this.opts.timeoutMs ?? 15_000), ...(init.signal ? [init.signal] : [])]
      try {
        return await fetch(url, { method: init.method ?? 'GET', headers, signal: AbortSignal.any(signals), redirect: 'follow' })
      } catch (err) {
        if (init.signal?.aborted) throw err
        throw new RegistryError('unreachable', `The registry at ${new URL(url).host} is unreachable (${describeCause(err)}).`, {
          cause: err,
        })
      }
    }
    let res = await send()
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get('www-authenticate'))
      await res.body?.cancel()
      if (challenge?.scheme !== 'bearer' || !challenge.params.realm)
        throw new RegistryError('unauthorized', `The registry at ${new URL(url).host} refused access (401).`)
      await this.fetchToken(challenge.params, init.scope, init.signal)
      res = await send()
      if (res.status === 401) {
        await res.body?.cancel()
        throw new RegistryError(
          'unauthorized',
          `The registry at ${new URL(url).host} refused access to ${init.scope ?? path} even with a token.`,
        )
      }
    }
    return res
  }

  private async fetchToken(params: Record<string, string>, scope: string | undefined, signal?: AbortSignal): Promise<void> {
    const u = new URL(params.realm as string)
    if (params.service) u.searchParams.set('service', params.service)
    const sc = params.scope ?? scope
    if (sc) u.searchParams.set('scope', sc)
    const headers: Record<string, string> = {}
    if (this.opts.credentials)
      headers.authorization = `Basic ${Buffer.from(`${this.opts.credentials.username}:${this.opts.credentials.password}`).toString('base64')}`
    let res: Response
    try {
      res = await fetch(u, {
        headers,
        signal: AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs ?? 15_000), ...(signal ? [signal] : [])]),
      })
    } catch (err) {
      if (signal?.aborted) throw err
      throw new RegistryError('unreachable', `The registry's token service at ${u.host} is unreachable (${describeCause(err)}).`, {
        cause: err,
      })
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel()
      throw new RegistryError('unauthorized', `The registry's token service at ${u.host} refused ${sc ?? 'access'} (${res.status}).`)
    }
    if (!res.ok) throw new RegistryError('bad_response', `The registry's token service at ${u.host} answered ${res.status}.`)
    const body = (await res.json()) as { token?: string; access_token?: string }
    const value = body.token ?? body.access_token
    if (!value) throw new RegistryError('bad_response', `The registry's token service at ${u.host} returned no token.`)
    this.token = { scope: sc ?? '', value }
  }

  /** All tags (follows Link: rel="next"). */
  async listTags(name: string, signal?: AbortSignal): Promise<string[]> {
    const tags: string[] = []
    let next: string | null = new URL(`/v2/${name}/tags/list?n=1000`, this.opts.baseUrl).toString()
    for (let page = 0; next && page < 100; page++) {
      const res: Response = await this.request(next, { scope: `repository:${name}:pull`, signal })
      if (res.status === 404) {
        await res.body?.cancel()
        throw new RegistryError('not_found', `The repository ${name} does not exist at ${new URL(next).host}.`)
      }
      if (!res.ok) throw new RegistryError('bad_response', `Listing tags of ${name} failed: ${res.status} ${res.statusText}.`)
      const body = (await res.json()) as { tags?: string[] | null }
      tags.push(...(body.tags ?? []))
      next = nextLink(res.headers.get('link'), next)
    }
    return tags
  }

  /** Digest and layer sizes of a tag (linux/amd64 out of an index). */
  async manifest(name: string, reference: string, signal?: AbortSignal): Promise<ManifestInfo> {
    const scope = `repository:${name}:pull`
    const res = await this.request(`/v2/${name}/manifests/${reference}`, { accept: MANIFEST_ACCEPT, scope, signal })
    if (res.status === 404) {
      const body = await res.text()
      throw new RegistryError(
        'not_found',
        /MANIFEST_UNKNOWN|manifest unknown/i.test(body) || body === ''
          ? `The tag ${reference} does not exist in ${name}.`
          : `${name}:${reference} was not found.`,
      )
    }
    if (!res.ok) throw new RegistryError('bad_response', `Reading the manifest of ${name}:${reference} failed: ${res.status}.`)
    const digest = res.headers.get('docker-content-digest')
    let m = (await res.json()) as Manifest
    if (m.manifests) {
      const pick = m.manifests.find((x) => x.platform?.os === 'linux' && x.platform.architecture === 'amd64') ?? m.manifests[0]
      if (!pick) throw new RegistryError('bad_response', `${name}:${reference} is an empty image index.`)
      const r2 = await this.request(`/v2/${name}/manifests/${pick.digest}`, { accept: MANIFEST_ACCEPT, scope, signal })
      if (!r2.ok) throw new RegistryError('bad_response', `Reading the platform manifest of ${name}:${reference} failed: ${r2.status}.`)
      m = (await r2.json()) as Manifest
    }
    const layers = m.layers ?? []
    return {
      digest,
      layers,
      configDigest: m.config?.digest ?? null,
      sizeBytes: layers.reduce((a, l) => a + l.size, 0) + (m.config?.size ?? 0),
      name,
    }
  }

  /** The image's created time from its config blob. */
  async created(name: string, configDigest: string, signal?: AbortSignal): Promise<string | null> {
    const res = await this.request(`/v2/${name}/blobs/${configDigest}`, { scope: `repository:${name}:pull`, signal })
    if (!res.ok) {
      await res.body?.cancel()
      return null
    }
    const c = (await res.json()) as { created?: string }
    return c.created ?? null
  }

  /**
   * Tags with digest, size and date; manifests are read with bounded parallelism, for at most `maxDetailed` tags
   * (releases, latest and plain nightlies first; commit nightlies, of which mirrors keep many, last).
   */
  async listDetailed(name: string, signal?: AbortSignal, parallel = 6, maxDetailed = 300): Promise<RawTag[]> {
    const names = await this.listTags(name, signal)
    const out: RawTag[] = names.map((n) => ({ name: n, date: null, digest: null, sizeBytes: null }))
    const rank = (n: string): number => (/nightly-[0-9a-f]{7,}/.test(n) ? 1 : 0)
    const todo = [...out].sort((a, b) => rank(a.name) - rank(b.name)).slice(0, maxDetailed)
    let i = 0
    const worker = async (): Promise<void> => {
      while (i < todo.length) {
        const t = todo[i++] as RawTag
        try {
          const m = await this.manifest(name, t.name, signal)
          t.digest = m.digest
          t.sizeBytes = m.sizeBytes
          if (m.configDigest) t.date = await this.created(name, m.configDigest, signal)
        } catch (err) {
          if (err instanceof RegistryError && err.kind === 'not_found') continue
          throw err
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(parallel, todo.length) }, worker))
    return out
  }
}

export function describeCause(err: unknown): string {
  const UNDICI: Record<string, string> = {
    UND_ERR_SOCKET: 'connection closed',
    UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
    UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  }
  let e: unknown = err
  let found: string | null = null
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const c = e as { code?: string; name?: string; cause?: unknown; message?: string }
    if (c.name === 'TimeoutError') return 'timed out'
    // the innermost system error (ECONNREFUSED, ENOTFOUND …) says the most
    if (c.code && (!found || /^E[A-Z]+$/.test(c.code))) found = c.code
    if (!c.cause) return found ? (UNDICI[found] ?? found) : (c.message ?? String(e))
    e = c.cause
  }
  return found ? (UNDICI[found] ?? found) : String(e)
}

/** Base URL of a registry host: https, except loopback (plain HTTP, as dockerd treats 127.0.0.0/8 as insecure). */
export function registryBaseUrl(host: string, env: NodeJS.ProcessEnv = process.env): string {
  if (host === 'docker.io') return env.INFERADMIN_DOCKER_REGISTRY?.trim() || 'https://registry-1.docker.io'
  const h = host.replace(/:\d+$/, '')
  const insecure =
    h === 'localhost' || /^127\./.test(h) || h === '[::1]' || (env.INFERADMIN_INSECURE_REGISTRIES ?? '').split(',').includes(host)
  return `${insecure ? 'http' : 'https'}://${host}`
}

/** A registry/Hub failure in words, with the fix. */
export function registryProblem(err: unknown, repo: RepoRef, endpoint: string, tag?: string): { message: string; fix: string } {
  const what = tag ? `${repo.display}:${tag}` : repo.display
  if (err instanceof RegistryError) {
    switch (err.kind) {
      case 'not_found':
        return {
          message: tag ? `The tag ${tag} does not exist in ${repo.display} (manifest unknown).` : err.message,
          fix: tag ? 'Refresh the tag list and pick a tag it shows.' : 'Check Settings → vLLM image repository.',
        }
      case 'unauthorized':
        return { message: `${err.message}`, fix: `Check that ${repo.display} is public, or that the registry accepts anonymous pulls.` }
      case 'unreachable':
        return {
          message: `Could not reach ${endpoint} for ${what}: ${err.message}`,
          fix: 'Check the network connection (or the registry address in Settings); the list refreshes again at the next scheduled time or with Refresh.',
        }
      default:
        return { message: err.message, fix: 'Try again later; the log has details.' }
    }
  }
  return {
    message: `Fetching ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
    fix: 'Try again later; the log has details.',
  }
}
