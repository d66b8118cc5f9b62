import { mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { Job } from '../../../shared/contract/jobs'
import type { LocalModel, PullInput, PullPlan, SearchResult, StorageLocationInfo, UpdateStatus } from '../../../shared/contract/models'
import { AppError } from '../errors'
import { latestOnly, Publisher } from '../events/publisher'
import type { JobService } from '../jobs/job-service'
import type { SecretStore } from '../settings/secrets'
import type { SettingsService } from '../settings/settings-service'
import type { IoLimiter } from '../workers/io-limiter'
import { deleteModelFolder, deleteSnapshot } from './delete'
import { diskSpace, formatBytes } from '../disk'
import { HubClient } from './hub-client'
import { hubAppError } from './hub-errors'
import type { BlobFetcher } from './transfer'
import { diskShortMessage, pullJobKind, spaceCheck, type PullParams } from './pull-job'
import { DEFAULT_RETRY, type RetryOptions } from './retry'
import { scanLocation, scanModel, type ScannedModel } from './scan'
import { defaultSelection } from './selection'
import { storageReport } from './storage'
import { SupersededList } from './superseded'
import { checkModelUpdates } from './update-check'

/** Deployments tell which of them use a snapshot (names); empty = not in use. */
export type InUseCheck = (repo: string, commit: string) => string[]

export interface ModelServiceOptions {
  settings: SettingsService
  secrets: SecretStore
  jobs: JobService
  io: IoLimiter
  /** Fetches blobs for downloads: the transfer thread (transfer-thread.ts) in the app. */
  transfers: BlobFetcher
  logger: Logger
  dataDir: string
  env?: NodeJS.ProcessEnv
  retry?: RetryOptions
  /** No bytes for this long → the request is retried (default 30 s). */
  stallMs?: number
  /** Ranged chunk size for large files (default 64 MiB). */
  chunkSize?: number
  /** Files at least this big are written with O_DIRECT where the file system has it (default 64 MiB). */
  directBytes?: number
  /** Names of the deployments serving (repo, commit) now: such a revision is not deleted or pruned. */
  inUse?: InUseCheck
  /** Names of the deployment definitions naming `repo` in any state: deleting it asks first. */
  namedBy?: (repo: string) => string[]
}

const DeleteParams = z.object({ repo: z.string(), location: z.string(), commit: z.string().optional() })

/**
 * The model store: locations from Settings (HF hub caches, scanned in place), downloads/updates/
 * deletes as jobs, update checks, storage, and Hub search.
 */
export class ModelService {
  readonly hub: HubClient
  private readonly inUse: InUseCheck
  private readonly updates = new Map<string, UpdateStatus>()
  /** "The local list changed": watchers get the latest one they have not read (a burst is one re-fetch). */
  private readonly changes = new Publisher<{ type: 'changed'; at: string }>()
  private readonly superseded: SupersededList

  constructor(private readonly o: ModelServiceOptions) {
    const env = o.env ?? process.env
    this.inUse = o.inUse ?? (() => [])
    const retry = o.retry ?? DEFAULT_RETRY
    this.hub = new HubClient({
      endpoint: () => o.settings.get().hubEndpoint || env.HF_ENDPOINT || 'https://huggingface.co',
      token: () => o.secrets.get('hfToken') || undefined,
      retry,
      logger: o.logger,
    })
    this.superseded = new SupersededList(join(o.dataDir, 'models-superseded.json'))
    const pullDeps = {
      hub: this.hub,
      token: () => o.secrets.get('hfToken') || undefined,
      io: o.io,
      transfers: o.transfers,
      retry,
      stallMs: o.stallMs ?? 30_000,
      chunkSize: o.chunkSize ?? 64 * 1024 * 1024,
      directBytes: o.directBytes,
      logger: o.logger,
      changed: () => this.changed(),
      replaced: (repo: string, location: string, old: string) => this.retire(repo, location, old),
    }
    o.jobs.register(pullJobKind('model.pull', pullDeps))
    o.jobs.register(pullJobKind('model.update', pullDeps))
    o.jobs.register({
      kind: 'model.delete',
      params: DeleteParams,
      persistent: false,
      pausable: false,
      run: async (ctx) => {
        const { repo, location, commit } = ctx.params
        const users = await this.usersOf(location, repo, commit)
        if (users.length) throw this.inUseError(repo, users)
        ctx.progress({ message: `Deleting ${repo}` })
        const bytesFreed = commit ? await deleteSnapshot(location, repo, commit) : await deleteModelFolder(location, repo)
        this.changed()
        return { bytesFreed }
      },
    })
  }

  private updateTimer?: NodeJS.Timeout

  /**
   * Background work: removes replaced snapshots nobody uses, then checks the Hub for newer commits
   * of local models now and every `updateCheckMs` (the resolver bucket: one HEAD per model).
   */
  start(updateCheckMs = 6 * 3600_000): void {
    const check = (): void => void this.checkUpdates().catch((err: unknown) => this.o.logger.warn({ err }, 'model update check failed'))
    void this.collectGarbage()
      .catch((err: unknown) => this.o.logger.warn({ err }, 'model store cleanup failed'))
      .then(check)
    this.updateTimer = setInterval(check, updateCheckMs)
    this.updateTimer.unref()
  }

  dispose(): void {
    clearInterval(this.updateTimer)
  }

  private changed(): void {
    this.changes.publish({ type: 'changed', at: new Date().toISOString() })
  }

  watch(signal?: AbortSignal): AsyncGenerator<{ type: 'changed'; at: string }> {
    return this.changes.stream(signal, { enqueue: latestOnly })
  }

  locations(): { path: string; label: string; isDefault: boolean }[] {
    const s = this.o.settings.get()
    return s.modelStores.map((l, i) => ({ path: l.path.replace(/^~(?=$|\/)/, homedir()), label: l.label, isDefault: i === s.defaultStore }))
  }

  resolveLocation(location?: string): string {
    const locs = this.locations()
    const fallback = locs.find((l) => l.isDefault) ?? locs[0]
    if (!location && fallback) return fallback.path
    const hit = locs.find((l) => l.path === location || l.label === location)
    if (!hit)
      throw new AppError('BAD_REQUEST', `"${location}" is not one of the model store locations.`, {
        fix: `Use one of: ${locs.map((l) => l.path).join(', ')} (or add it in Settings).`,
        fields: { location: 'unknown store location' },
      })
    return hit.path
  }

  async list(): Promise<LocalModel[]> {
    const out: LocalModel[] = []
    const active = this.o.jobs.list().filter((j) => ['queued', 'running', 'paused'].includes(j.state))
    for (const loc of this.locations()) {
      for (const m of await scanLocation(loc.path)) out.push(this.toLocal(m, active))
    }
    return out
  }

  private toLocal(m: ScannedModel, active: Job[]): LocalModel {
    return {
      repo: m.repo,
      location: m.location,
      sizeOnDisk: m.blobBytes,
      incompleteBytes: m.incompleteBytes,
      revisions: m.revisions.map((r) => ({
        commit: r.commit,
        refs: r.refs,
        files: r.files.size,
        sizeBytes: r.sizeBytes,
        inUseBy: this.inUse(m.repo, r.commit),
      })),
      update: this.updates.get(`${m.location}\n${m.repo}`),
      activeJob: active.find((j) => j.target === m.repo)?.id,
      namedBy: this.o.namedBy?.(m.repo) ?? [],
    }
  }

  async search(q: string, sort: 'downloads' | 'trending', limit: number, signal?: AbortSignal): Promise<SearchResult[]> {
    const ctx = { endpoint: this.hub.endpoint, repo: q || '(search)', hasToken: this.hub.hasToken() }
    const hits = await this.hub.search(q, sort, limit, signal).catch((err: unknown) => {
      throw hubAppError(err, ctx)
    })
    const local = new Set((await this.list()).map((m) => m.repo))
    // size of the default selection: one tree call per hit (gated ones are not listable without access)
    const sizes = await Promise.all(
      hits.map((h) =>
        this.hub
          .files(h.repo, 'main', signal)
          .then((files) => {
            const sel = defaultSelection(files.map((f) => f.path))
            return files.filter((f) => sel.has(f.path)).reduce((a, f) => a + f.size, 0)
          })
          .catch(() => undefined),
      ),
    )
    return hits.map((h, i) => ({ ...h, downloadBytes: sizes[i], local: local.has(h.repo) }))
  }

  /** Resolves the revision to a commit and lists the files with the default selection. */
  async plan(repo: string, revision = 'main', location?: string, signal?: AbortSignal): Promise<PullPlan> {
    const loc = this.resolveLocation(location)
    const ctx = { endpoint: this.hub.endpoint, repo, revision, hasToken: this.hub.hasToken() }
    try {
      const info = await this.hub.model(repo, revision, signal)
      // commit, paths, hashes and sizes are checked as they arrive (hub-values.ts)
      const files = await this.hub.files(repo, info.sha, signal)
      const sel = defaultSelection(files.map((f) => f.path))
      const have = (await scanModel(loc, repo))?.blobs ?? new Map<string, number>()
      const planFiles = files.map((f) => ({
        path: f.path,
        size: f.size,
        lfs: f.lfsSha256 !== undefined,
        selected: sel.has(f.path),
        local: have.has(f.lfsSha256 ?? f.oid),
      }))
      const { freeBytes } = await diskSpace(loc)
      return {
        repo,
        revision,
        commit: info.sha,
        gated: info.gated,
        private: info.private,
        parameters: info.parameters,
        files: planFiles,
        location: loc,
        downloadBytes: planFiles.filter((f) => f.selected && !f.local).reduce((a, f) => a + f.size, 0),
        freeBytes,
      }
    } catch (err) {
      throw hubAppError(err, ctx)
    }
  }

  /** Starts a download job: resolve → commit, file list, access and disk checks first. */
  async pull(
    input: PullInput,
    opts: { kind?: 'model.pull' | 'model.update'; replaces?: string; keepPaths?: Set<string> } = {},
  ): Promise<Job> {
    const revision = input.revision ?? 'main'
    const running = this.o.jobs.active(input.repo).find((j) => j.kind !== 'model.delete')
    if (running) return running
    const loc = this.resolveLocation(input.location)
    const ctx = { endpoint: this.hub.endpoint, repo: input.repo, revision, hasToken: this.hub.hasToken() }
    const info = await this.hub.model(input.repo, revision).catch((err: unknown) => {
      throw hubAppError(err, ctx)
    })
    const tree = await this.hub.files(input.repo, info.sha).catch((err: unknown) => {
      throw hubAppError(err, ctx)
    })
    let wanted: Set<string>
    if (input.files) {
      const known = new Set(tree.map((f) => f.path))
      const unknown = input.files.filter((f) => !known.has(f))
      if (unknown.length)
        throw new AppError('BAD_REQUEST', `${input.repo}@${info.sha.slice(0, 8)} has no file ${unknown.join(', ')}.`, {
          fix: 'Pick files from the plan (GET /api/v1/models/plan).',
          fields: { files: 'unknown file' },
        })
      wanted = new Set(input.files)
    } else {
      const sel = defaultSelection(tree.map((f) => f.path))
      wanted = opts.keepPaths
        ? new Set([...opts.keepPaths, ...[...sel].filter((p) => !opts.keepPaths?.has(p))].filter((p) => tree.some((f) => f.path === p)))
        : sel
    }
    const files = tree
      .filter((f) => wanted.has(f.path))
      .map((f) => ({ path: f.path, size: f.size, etag: f.lfsSha256 ?? f.oid, lfs: f.lfsSha256 !== undefined }))
    const params: PullParams = { repo: input.repo, revision, commit: info.sha, location: loc, files, replaces: opts.replaces }
    await mkdir(loc, { recursive: true }).catch((err: unknown) => {
      throw new AppError('BAD_REQUEST', `Cannot create the store location ${loc}: ${(err as Error).message}`, {
        fix: 'Pick a writable directory in Settings.',
      })
    })
    const space = await spaceCheck(params)
    if (space.needed + space.margin > space.free) {
      const m = diskShortMessage(input.repo, loc, space)
      throw new AppError('CONFLICT', m.message, { fix: m.fix })
    }
    const kind = opts.kind ?? 'model.pull'
    const title = `${kind === 'model.update' ? 'Update' : 'Download'} ${input.repo}${revision === 'main' ? '' : `@${revision}`} (${formatBytes(files.reduce((a, f) => a + f.size, 0))})`
    const job = this.o.jobs.start(kind, { title, target: input.repo, params })
    this.changed()
    return job
  }

  /** Compares each local model's main ref (or its only ref) with the Hub. */
  async checkUpdates(signal?: AbortSignal): Promise<LocalModel[]> {
    const checked = await checkModelUpdates(
      this.hub,
      this.locations().map((l) => l.path),
      signal,
    )
    for (const c of checked) this.updates.set(`${c.location}\n${c.repo}`, c.status)
    this.changed()
    return this.list()
  }

  /** Update = a pull of the ref's new commit fetching only changed files; the old snapshot is retired at the end. */
  async update(repo: string, location?: string): Promise<Job> {
    const loc = this.resolveLocation(location)
    const m = await scanModel(loc, repo)
    const current = m?.revisions.find((r) => r.refs.includes('main')) ?? m?.revisions.find((r) => r.refs.length > 0)
    if (!m || !current) throw new AppError('NOT_FOUND', `${repo} is not in ${loc}.`, { fix: 'Pull it first.' })
    const ref = current.refs.includes('main') ? 'main' : current.refs[0]
    const job = await this.pull(
      { repo, revision: ref, location: loc },
      { kind: 'model.update', replaces: current.commit, keepPaths: new Set(current.files.keys()) },
    )
    this.updates.delete(`${loc}\n${repo}`)
    return job
  }

  async delete(repo: string, location?: string, confirm = false): Promise<Job> {
    const loc = location ? this.resolveLocation(location) : await this.locate(repo)
    const m = await scanModel(loc, repo)
    if (!m) throw new AppError('NOT_FOUND', `${repo} is not in the model store.`, { fix: 'List local models with GET /api/v1/models.' })
    const users = await this.usersOf(loc, repo)
    if (users.length) throw this.inUseError(repo, users)
    const named = this.o.namedBy?.(repo) ?? []
    if (named.length && !confirm) {
      const which = `${named.length === 1 ? 'deployment' : 'deployments'} ${named.map((n) => `"${n}"`).join(', ')}`
      throw new AppError('CONFLICT', `${repo} is the model of ${which}, which cannot start without it.`, {
        fix: 'Delete it anyway (confirm), or point those deployments at another model first.',
      })
    }
    const [busy] = this.o.jobs.active(repo)
    if (busy)
      throw new AppError('CONFLICT', `${repo} has a ${busy.kind} job that is ${busy.state}.`, {
        fix: 'Cancel that job first, then delete.',
      })
    const job = this.o.jobs.start('model.delete', {
      title: `Delete ${repo} (${formatBytes(m.blobBytes + m.incompleteBytes)})`,
      target: repo,
      params: { repo, location: loc },
    })
    return job
  }

  private async locate(repo: string): Promise<string> {
    for (const l of this.locations()) if (await scanModel(l.path, repo)) return l.path
    throw new AppError('NOT_FOUND', `${repo} is not in the model store.`, { fix: 'List local models with GET /api/v1/models.' })
  }

  private async usersOf(location: string, repo: string, commit?: string): Promise<string[]> {
    const m = await scanModel(location, repo)
    const commits = commit ? [commit] : (m?.revisions.map((r) => r.commit) ?? [])
    return [...new Set(commits.flatMap((c) => this.inUse(repo, c)))]
  }

  private inUseError(repo: string, users: string[]): AppError {
    return new AppError('CONFLICT', `${repo} is in use by ${users.length === 1 ? 'deployment' : 'deployments'} ${users.join(', ')}.`, {
      fix: 'Stop or remove those deployments first, then delete the model.',
    })
  }

  storage(): Promise<StorageLocationInfo[]> {
    return storageReport(this.locations())
  }

  /** After an update: the old snapshot goes now if unused, else when `collectGarbage` finds it unused. */
  private async retire(repo: string, location: string, commit: string): Promise<void> {
    const list = await this.superseded.load()
    list.push({ repo, location, commit })
    await this.superseded.save(list)
    await this.collectGarbage()
  }

  /** Removes replaced snapshots no deployment uses any more. Deployments call this when one stops. */
  async collectGarbage(): Promise<number> {
    const list = await this.superseded.load()
    const keep: typeof list = []
    let freed = 0
    for (const s of list) {
      const m = await scanModel(s.location, s.repo)
      const rev = m?.revisions.find((r) => r.commit === s.commit)
      if (!rev) continue
      if (rev.refs.length > 0 || this.inUse(s.repo, s.commit).length > 0) {
        keep.push(s)
        continue
      }
      freed += await deleteSnapshot(s.location, s.repo, s.commit)
      this.o.logger.info({ repo: s.repo, commit: s.commit }, 'old snapshot removed')
    }
    await this.superseded.save(keep)
    if (freed > 0 || keep.length !== list.length) this.changed()
    return freed
  }
}
