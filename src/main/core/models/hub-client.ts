import { listFiles, listModels, modelInfo } from '@huggingface/hub'
import type { Logger } from 'pino'
import { HubHttpError, HubUnreachable } from './hub-errors'
import { checkHubTree, hubCommit, hubTreeEntry, isHubRepoId } from './hub-values'
import { isTransient, RETRY_STATUS, retryDelay, wait, type RetryOptions } from './retry'

export interface HubConfig {
  /** Hub URL: Settings.hubEndpoint, else HF_ENDPOINT, else https://huggingface.co. */
  endpoint(): string
  /** The user's token (backend only; never logged). */
  token(): string | undefined
  retry: RetryOptions
  logger: Logger
}

export interface TreeFile {
  path: string
  size: number
  /** git blob sha1 (of the LFS pointer for LFS files). */
  oid: string
  /** sha256 of the content, for LFS files. */
  lfsSha256?: string
}

export interface RemoteModel {
  repo: string
  sha: string
  gated: false | 'auto' | 'manual'
  private: boolean
  parameters?: number
}

export interface SearchHit {
  repo: string
  downloads: number
  likes: number
  private: boolean
  gated: false | 'auto' | 'manual'
  pipelineTag?: string
  parameters?: number
  updatedAt: string
}

/**
 * Hub metadata calls through @huggingface/hub (modelInfo, listFiles, listModels) with our fetch:
 * retries 429/5xx/resets with backoff honouring the rate-limit headers, and turns error answers
 * into HubHttpError carrying X-Error-Code. The library has no retry and drops that header.
 */
export class HubClient {
  constructor(private readonly cfg: HubConfig) {}

  get endpoint(): string {
    return this.cfg.endpoint().replace(/\/+$/, '')
  }

  hasToken(): boolean {
    return Boolean(this.cfg.token())
  }

  private creds(): { accessToken?: string } {
    const t = this.cfg.token()
    return t ? { accessToken: t } : {}
  }

  /** fetch with retries; non-OK final answers throw HubHttpError. */
  fetchWithRetry(signal?: AbortSignal): typeof fetch {
    return async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      for (let attempt = 0; ; attempt++) {
        let res: Response
        try {
          res = await fetch(input, { ...init, signal })
        } catch (err) {
          if (signal?.aborted) throw err
          if (!isTransient(err) || attempt + 1 >= this.cfg.retry.attempts)
            throw new HubUnreachable(`cannot reach ${url}: ${(err as Error).message}`)
          await wait(retryDelay(attempt, this.cfg.retry), signal)
          continue
        }
        if (res.ok || (res.status >= 300 && res.status < 400)) return res
        if (RETRY_STATUS.has(res.status) && attempt + 1 < this.cfg.retry.attempts) {
          const ms = retryDelay(attempt, this.cfg.retry, res.headers, res.status)
          this.cfg.logger.info({ url, status: res.status, waitMs: ms }, 'Hub request retried')
          await res.body?.cancel()
          await wait(ms, signal)
          continue
        }
        const text = await res.text().catch(() => '')
        let message = res.headers.get('x-error-message') ?? ''
        if (!message) {
          try {
            message = (JSON.parse(text) as { error?: string }).error ?? text
          } catch {
            message = text
          }
        }
        throw new HubHttpError(res.status, res.headers.get('x-error-code') ?? undefined, message || `HTTP ${res.status}`, url)
      }
    }
  }

  async model(repo: string, revision: string, signal?: AbortSignal): Promise<RemoteModel> {
    const info = await modelInfo({
      name: repo,
      revision,
      hubUrl: this.endpoint,
      additionalFields: ['sha', 'safetensors'],
      fetch: this.fetchWithRetry(signal),
      ...this.creds(),
    })
    const sha = hubCommit(info.sha, { endpoint: this.endpoint, repo: `${repo}@${revision}` })
    return { repo, sha, gated: info.gated, private: info.private, parameters: info.safetensors?.total }
  }

  async files(repo: string, commit: string, signal?: AbortSignal): Promise<TreeFile[]> {
    const ctx = { endpoint: this.endpoint, repo: `${repo}@${commit.slice(0, 12)}` }
    const out: TreeFile[] = []
    for await (const e of listFiles({
      repo,
      revision: commit,
      recursive: true,
      hubUrl: this.endpoint,
      fetch: this.fetchWithRetry(signal),
      ...this.creds(),
    })) {
      if (e.type !== 'file') continue
      out.push(hubTreeEntry(e, ctx))
    }
    return checkHubTree(out, ctx)
  }

  async search(query: string, sort: 'downloads' | 'trending', limit: number, signal?: AbortSignal): Promise<SearchHit[]> {
    const out: SearchHit[] = []
    for await (const m of listModels({
      search: query ? { query } : undefined,
      sort: sort === 'trending' ? 'trendingScore' : 'downloads',
      limit,
      additionalFields: ['safetensors'],
      hubUrl: this.endpoint,
      fetch: this.fetchWithRetry(signal),
      ...this.creds(),
    })) {
      if (!isHubRepoId(m.name)) {
        this.cfg.logger.warn({ name: String(m.name).slice(0, 200) }, 'Hub search result with an invalid id left out')
        continue
      }
      out.push({
        repo: m.name,
        downloads: m.downloads,
        likes: m.likes,
        private: m.private,
        gated: m.gated,
        pipelineTag: m.task,
        parameters: m.safetensors?.total,
        updatedAt: m.updatedAt.toISOString(),
      })
    }
    return out
  }

  /**
   * Commit a ref points at now, from the resolver bucket (higher quota than the API, §5): HEAD of
   * resolve/<ref>/config.json without following redirects; every answer carries X-Repo-Commit.
   */
  async remoteCommit(repo: string, ref: string, signal?: AbortSignal): Promise<string> {
    const url = `${this.endpoint}/${repo}/resolve/${encodeURIComponent(ref)}/config.json`
    const t = this.cfg.token()
    const f = this.fetchWithRetry(signal)
    try {
      const res = await f(url, { method: 'HEAD', redirect: 'manual', headers: t ? { authorization: `Bearer ${t}` } : {} })
      const sha = res.headers.get('x-repo-commit')
      if (sha) return hubCommit(sha, { endpoint: this.endpoint, repo: `${repo}@${ref}` })
    } catch (err) {
      if (!(err instanceof HubHttpError && err.code === 'EntryNotFound')) throw err
    }
    return (await this.model(repo, ref, signal)).sha
  }
}
