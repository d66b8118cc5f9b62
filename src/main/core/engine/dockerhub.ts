import { describeCause, RegistryError } from './registry'
import type { RawTag } from './tags'

/**
 * Docker Hub API tag listing (vllm-facts §4.1): GET <api>/v2/repositories/<ns>/<name>/tags?page_size=100,
 * following `next` until null; each result has name, last_updated, digest and full_size. The API base is
 * INFERADMIN_DOCKERHUB_API (the stand-in in tests) or https://hub.docker.com.
 */
export const DEFAULT_DOCKERHUB_API = 'https://hub.docker.com'

interface HubTag {
  name: string
  last_updated?: string | null
  tag_last_pushed?: string | null
  digest?: string | null
  full_size?: number | null
  images?: { architecture?: string; os?: string; digest?: string; size?: number }[]
}

interface HubPage {
  count?: number
  next?: string | null
  results?: HubTag[]
}

export function dockerHubApi(env: NodeJS.ProcessEnv = process.env): string {
  return (env.INFERADMIN_DOCKERHUB_API?.trim() || DEFAULT_DOCKERHUB_API).replace(/\/+$/, '')
}

/** One page's results as raw tags. */
export function parseHubPage(body: HubPage): { tags: RawTag[]; next: string | null } {
  const tags = (body.results ?? []).map((r) => {
    const amd64 = r.images?.find((i) => i.os === 'linux' && i.architecture === 'amd64') ?? r.images?.[0]
    return {
      name: r.name,
      date: r.last_updated ?? r.tag_last_pushed ?? null,
      digest: r.digest ?? amd64?.digest ?? null,
      sizeBytes: amd64?.size ?? r.full_size ?? null,
    }
  })
  return { tags, next: body.next ?? null }
}

export async function listHubTags(api: string, name: string, signal?: AbortSignal, maxPages = 50): Promise<RawTag[]> {
  const out: RawTag[] = []
  let next: string | null = `${api}/v2/repositories/${name}/tags?page_size=100&ordering=last_updated`
  for (let page = 0; next && page < maxPages; page++) {
    let res: Response
    try {
      res = await fetch(next, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.any([AbortSignal.timeout(20_000), ...(signal ? [signal] : [])]),
      })
    } catch (err) {
      if (signal?.aborted) throw err
      throw new RegistryError('unreachable', `Docker Hub (${new URL(next).host}) is unreachable (${describeCause(err)}).`, { cause: err })
    }
    if (res.status === 404) {
      await res.body?.cancel()
      throw new RegistryError('not_found', `Docker Hub has no repository ${name}.`)
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel()
      throw new RegistryError('unauthorized', `Docker Hub refused to list ${name} (${res.status}); the repository may be private.`)
    }
    if (res.status === 429) {
      await res.body?.cancel()
      throw new RegistryError('unreachable', 'Docker Hub rate-limited the tag listing (429).')
    }
    if (!res.ok) throw new RegistryError('bad_response', `Docker Hub answered ${res.status} listing ${name}.`)
    const page1 = parseHubPage((await res.json()) as HubPage)
    out.push(...page1.tags)
    next = page1.next
  }
  return out
}
