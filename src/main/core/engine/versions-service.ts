/**
 * vLLM versions: the tag list of Settings.vllmImageRepository (Docker Hub API or registry v2), cached in
 * dataDir/engine/tags.json and refreshed nightly at Settings.tagRefreshTime (local, default 03:00), on demand, and
 * once at start when the last scheduled run was missed; local images, pulls and prunes as jobs; flag diffs.
 *
 * For the deployment service (issue 7) — a deployment holds `image` (repository:tag), `alwaysLatest` and the
 * `imageDigest` it runs:
 *  - `resolveLatestRelease(repository?)` → {tag, digest, ref}: the newest release (refreshes when no list is
 *    cached; throws UNAVAILABLE when none can be had). Call it at each (re)deploy of an always-latest deployment,
 *    pull `ref` (startPull / waitForJob) and record the local digest (`localDigest(ref)`).
 *  - `onNewRelease(listener)` → {dispose}: fired after a refresh finds a newer release (or the newest release's
 *    digest moved); redeploy always-latest deployments from there, or show "newer release available".
 *  - `imageUsage` (option): the image refs deployments use, so prune and DELETE keep them.
 *  - `flagDiff(from, to, args)`: flags added/removed/renamed and the args the target would refuse.
 */
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import type { EngineEvent, FlagDiff, LocalImage, NewRelease, PruneResult, TagList } from '../../../shared/contract/engine'
import type { Job } from '../../../shared/contract/jobs'
import { AppError } from '../errors'
import { latestPer, Publisher, type Disposable } from '../events/publisher'
import { DOCKER_FIX, dockerUnreachableText } from '../docker/errors'
import { repoDigest } from '../docker/image-ref'
import { imagePresent } from '../docker/pull'
import type { DockerEndpoint } from '../docker/endpoint'
import type { JobService } from '../jobs/job-service'
import { diskSpace, formatBytes, spaceMargin } from '../disk'
import type { SettingsService } from '../settings/settings-service'
import { dockerHubApi, listHubTags } from './dockerhub'
import { enginePruneJobKind, localImages, removeOne, type ImageUsage } from './prune'
import { enginePullJobKind } from './pull'
import { parseRepository, RegistryClient, RegistryError, registryBaseUrl, registryProblem, type RepoRef } from './registry'
import { classify, type LocalInfo } from './tags'
import { lastSlot, missedRun, nextSlot, TagCache, type CachedList } from './versions-cache'
import { flagDiff, type FlagSet } from './versions-diff'

export interface EngineVersionsOptions {
  settings: SettingsService
  docker: DockerEndpoint
  jobs: JobService
  logger: Logger
  dataDir: string
  env?: NodeJS.ProcessEnv
  now?: () => Date
  /** The images deployment definitions name (kept by prune and DELETE even without a container). */
  imageUsage?: ImageUsage
  /** The images' own flag lists (the FlagCatalogService); flag diffs use them when both images are pulled. */
  flagSource?: FlagSource
}

type Listener<T> = (v: T) => void

/** An image's flags, or null when they cannot be read from the image (then the bundled history is used). */
export type FlagSource = (ref: string) => Promise<FlagSet | null>

/** Extracted size relative to the compressed download, for the disk check (download + unpacked layers). */
const UNPACK_FACTOR = 3

/** Disk problem for a pull of `compressed` bytes with `free` of `total` left, or null. */
export function pullSpaceProblem(compressed: number, free: number, total: number, root: string): { message: string; fix: string } | null {
  const needed = compressed * UNPACK_FACTOR + spaceMargin(compressed * UNPACK_FACTOR, total)
  if (free >= needed) return null
  return {
    message: `Pulling needs about ${formatBytes(needed)} free in Docker's data root ${root} (${formatBytes(compressed)} download, unpacked about ${UNPACK_FACTOR}×); only ${formatBytes(free)} is free.`,
    fix: `Free at least ${formatBytes(needed - free)} there (e.g. prune unused vLLM images), then pull again.`,
  }
}

export class EngineVersionsService {
  private readonly cache: TagCache
  private readonly env: NodeJS.ProcessEnv
  private readonly now: () => Date
  private readonly events: Publisher<EngineEvent>
  private readonly usage: ImageUsage
  private readonly flagSource: FlagSource | undefined
  private timer: NodeJS.Timeout | undefined
  private refreshing: Promise<TagList> | undefined
  private disposed = false
  private readonly stop = new AbortController()
  private readonly subs: { dispose(): void }[] = []

  constructor(private readonly o: EngineVersionsOptions) {
    this.env = o.env ?? process.env
    this.now = o.now ?? (() => new Date())
    this.usage = o.imageUsage ?? (async () => [])
    this.flagSource = o.flagSource
    this.events = new Publisher({ onListenerError: (err) => o.logger.error({ err }, 'engine listener failed') })
    this.cache = new TagCache(join(o.dataDir, 'engine', 'tags.json'))
    const docker = (): Dockerode => o.docker.client()
    o.jobs.register(enginePullJobKind({ docker, logger: o.logger, changed: () => this.imagesChanged() }))
    o.jobs.register(enginePruneJobKind({ docker, usage: () => this.usage(), changed: () => this.imagesChanged() }))
  }

  /** Loads the cache, schedules the nightly refresh, and refreshes now when the last scheduled run was missed. */
  async start(): Promise<void> {
    await this.cache.load()
    this.schedule()
    this.subs.push(
      this.o.settings.onChange((next, prev) => {
        if (next.tagRefreshTime !== prev.tagRefreshTime) this.schedule()
        if (next.vllmImageRepository !== prev.vllmImageRepository) void this.refresh().catch(() => undefined)
      }),
    )
    const repo = this.repository()
    const cached = this.cache.get(repo.display)
    if (missedRun(cached?.fetchedAt ?? null, this.cache.attempt(repo.display), this.now(), this.refreshTime())) {
      this.o.logger.info({ repository: repo.display }, 'tag list: the last scheduled refresh was missed, refreshing now')
      void this.refresh().catch((err: unknown) => this.o.logger.warn({ err }, 'tag refresh at start failed'))
    }
  }

  dispose(): void {
    this.disposed = true
    this.stop.abort()
    clearTimeout(this.timer)
    for (const s of this.subs) s.dispose()
  }

  private refreshTime(): string {
    return this.o.settings.get().tagRefreshTime
  }

  private repository(): RepoRef {
    return parseRepository(this.o.settings.get().vllmImageRepository)
  }

  private docker(): Dockerode {
    return this.o.docker.client()
  }

  private schedule(): void {
    clearTimeout(this.timer)
    if (this.disposed) return
    const wait = Math.min(nextSlot(this.now(), this.refreshTime()).getTime() - this.now().getTime(), 2 ** 31 - 1)
    this.timer = setTimeout(
      () => {
        // A timer can fire early or late (sleep); refresh only when a slot has passed since the last attempt.
        const repo = this.repository().display
        if (missedRun(this.cache.get(repo)?.fetchedAt ?? null, this.cache.attempt(repo), this.now(), this.refreshTime()))
          void this.refresh().catch((err: unknown) => this.o.logger.warn({ err }, 'scheduled tag refresh failed'))
        this.schedule()
      },
      Math.max(1000, wait),
    )
    this.timer.unref()
  }

  private registryClient(repo: RepoRef): RegistryClient {
    return new RegistryClient({ baseUrl: registryBaseUrl(repo.host, this.env) })
  }

  /** Fetch the tag list now. Failures keep the cached list and come back as `error` (never thrown). */
  refresh(): Promise<TagList> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined))
    return this.refreshing
  }

  private async doRefresh(): Promise<TagList> {
    const repo = this.repository()
    const attemptAt = this.now().toISOString()
    const endpoint = repo.hub ? dockerHubApi(this.env) : registryBaseUrl(repo.host, this.env)
    this.emitTags(await this.tags())
    try {
      const raw = repo.hub
        ? await listHubTags(endpoint, repo.name, this.stop.signal)
        : await this.registryClient(repo).listDetailed(repo.name, this.stop.signal)
      const c = classify(raw)
      const newest = c.releases.find((r) => r.tag?.name === c.newestRelease)?.tag ?? null
      const prev = this.cache.get(repo.display)
      const list: CachedList = {
        repository: repo.display,
        source: repo.hub ? 'dockerhub' : 'registry',
        endpoint,
        fetchedAt: attemptAt,
        tags: raw,
        newestRelease: c.newestRelease,
        newestDigest: newest?.digest ?? null,
      }
      await this.cache.save(repo.display, { list, attemptAt, error: null })
      if (
        prev &&
        newest &&
        (prev.newestRelease !== newest.name || (prev.newestDigest && newest.digest && prev.newestDigest !== newest.digest))
      ) {
        const release: NewRelease = {
          repository: repo.display,
          tag: newest.name,
          digest: newest.digest,
          previous: prev.newestRelease,
          at: attemptAt,
        }
        this.o.logger.info(release, 'newer vLLM release available')
        this.events.publish({ type: 'newRelease', release })
      }
    } catch (err) {
      if (this.disposed) return this.tags()
      const e = registryProblem(err, repo, endpoint)
      // An unreachable or refusing registry is expected (offline, behind a proxy): its message and fix, no stack.
      const expected = err instanceof RegistryError
      const entry = { repository: repo.display, detail: e.message, fix: e.fix, ...(expected ? {} : { err }) }
      this.o.logger.warn(entry, 'vLLM tag list not refreshed')
      await this.cache.save(repo.display, { attemptAt, error: { ...e, at: attemptAt } })
    }
    const out = await this.tags()
    this.emitTags(out)
    return out
  }

  /** The cached list merged with the local images; says how old it is and why a refresh failed. */
  async tags(): Promise<TagList> {
    const repo = this.repository()
    const cached = this.cache.get(repo.display)
    const err = this.cache.error(repo.display)
    const local = new Map<string, LocalInfo>()
    let dockerProblem: string | null = null
    try {
      for (const i of await localImages(this.docker(), repo.display, this.usage))
        local.set(i.tag, { sizeBytes: i.sizeBytes, digest: i.digest })
    } catch (e) {
      dockerProblem = `${dockerUnreachableText(e)} (at ${this.o.docker.endpoint()}), so pulled tags are not marked. ${DOCKER_FIX}`
    }
    const raw = [...(cached?.tags ?? [])]
    // Tags pulled locally but not (or no longer) listed remotely still show, without a date.
    for (const t of local.keys()) if (!raw.some((r) => r.name === t)) raw.push({ name: t, date: null, digest: null, sizeBytes: null })
    const c = classify(raw, local)
    const now = this.now()
    const age = cached ? Math.max(0, Math.round((now.getTime() - Date.parse(cached.fetchedAt)) / 1000)) : null
    const error = err
      ? {
          message: `${err.message} ${cached ? `Showing the list from ${ageText(age ?? 0)} ago (${cached.fetchedAt}).` : 'No tag list has been fetched yet.'}`,
          fix: err.fix,
        }
      : null
    return {
      repository: repo.display,
      source: cached?.source ?? (repo.hub ? 'dockerhub' : 'registry'),
      endpoint: cached?.endpoint ?? (repo.hub ? dockerHubApi(this.env) : registryBaseUrl(repo.host, this.env)),
      fetchedAt: cached?.fetchedAt ?? null,
      ageSeconds: age,
      ...c,
      // Only what the registry lists counts as the newest release (a locally built tag does not).
      newestRelease: cached?.newestRelease ?? null,
      error,
      dockerError: dockerProblem,
      refreshing: !!this.refreshing,
      nextRefreshAt: nextSlot(now, this.refreshTime()).toISOString(),
    }
  }

  async images(): Promise<LocalImage[]> {
    return localImages(this.docker(), this.repository().display, this.usage)
  }

  /** Digest of a local image ref (repository@sha256 of the configured repository), for deployments to record. */
  async localDigest(ref: string): Promise<string | null> {
    const info = await this.docker().getImage(ref).inspect()
    return repoDigest(info.RepoDigests, ref)
  }

  async resolveLatestRelease(repository?: string): Promise<{ tag: string; digest: string | null; ref: string }> {
    const repo = repository ? parseRepository(repository) : this.repository()
    if (repo.display !== this.repository().display)
      throw new AppError('BAD_REQUEST', `${repository} is not the configured vLLM repository (${this.repository().display}).`, {
        fix: 'Use the repository from Settings.',
      })
    let list = await this.tags()
    if (!list.newestRelease) list = await this.refresh()
    const newest = list.releases.find((r) => r.tag?.name === list.newestRelease)?.tag
    if (!newest)
      throw new AppError('UNAVAILABLE', `No release of ${repo.display} is known.`, {
        fix: list.error?.fix ?? 'Refresh the tag list once the registry is reachable.',
      })
    return { tag: newest.name, digest: newest.digest, ref: `${repo.display}:${newest.name}` }
  }

  /** Checks the tag and disk space, then starts the pull job. */
  async pull(tag: string): Promise<Job> {
    const repo = this.repository()
    const ref = `${repo.display}:${tag}`
    const active = this.o.jobs.active(ref).find((j) => j.kind === 'engine.pull')
    if (active) return active
    let manifest: { sizeBytes: number; layers: { digest: string; size: number }[] } | null = null
    try {
      manifest = await this.registryClient(repo).manifest(repo.name, tag)
    } catch (err) {
      const e = registryProblem(err, repo, registryBaseUrl(repo.host, this.env), tag)
      // Unknown tag and refused access are the registry's own answers. Unreachable from here may still be
      // reachable for Docker (a daemon proxy or mirror): then the pull runs without the size check, and Docker's
      // own error (mapped by pullError) ends the job if it cannot reach the registry either.
      if (!(err instanceof RegistryError && err.kind === 'unreachable'))
        throw new AppError(err instanceof RegistryError ? ERROR_CODE[err.kind] : 'UNAVAILABLE', e.message, { fix: e.fix }, { cause: err })
      this.o.logger.warn({ err, ref }, 'registry unreachable from the app; pulling without the disk check')
    }
    const docker = this.docker()
    const info = (await docker.info()) as { DockerRootDir?: string }
    const root = info.DockerRootDir
    if (manifest && root && existsSync(root)) {
      const space = await diskSpace(root)
      const problem = pullSpaceProblem(manifest.sizeBytes, space.freeBytes, space.totalBytes, root)
      if (problem) throw new AppError('CONFLICT', problem.message, { fix: problem.fix })
    }
    const existed = await imagePresent(docker, ref)
    return this.o.jobs.start('engine.pull', {
      title: `Pull ${ref}`,
      target: ref,
      params: { repository: repo.display, tag, layers: manifest?.layers ?? [], existed },
    })
  }

  async removeImage(tag: string): Promise<PruneResult> {
    const r = await removeOne(this.docker(), await this.images(), tag)
    this.imagesChanged()
    return r
  }

  /** Unused pulled images; with dryRun=false a prune job removes them (result bytesFreed). */
  async prune(dryRun: boolean): Promise<{ job: Job | null; candidates: LocalImage[] }> {
    const candidates = (await this.images()).filter((i) => i.inUseBy.length === 0)
    if (dryRun || candidates.length === 0) return { job: null, candidates }
    const repo = this.repository().display
    const job = this.o.jobs.start('engine.prune', {
      title: `Prune unused ${repo} images`,
      target: repo,
      params: { repository: repo, refs: candidates.map((c) => c.ref) },
    })
    return { job, candidates }
  }

  async flagDiff(from: string, to: string, args: Record<string, unknown>): Promise<FlagDiff> {
    const repo = this.repository().display
    const local = this.flagSource ? new Set((await this.images().catch(() => [])).map((i) => i.tag)) : new Set<string>()
    if (this.flagSource && local.has(from) && local.has(to)) {
      const [a, b] = await Promise.all([this.flagSource(`${repo}:${from}`), this.flagSource(`${repo}:${to}`)])
      if (a && b) return flagDiff(from, to, args, { a, b, basis: `the images' own flag lists (--help=all of ${repo}:${from} and :${to})` })
    }
    return flagDiff(from, to, args)
  }

  onTags(l: Listener<TagList>): Disposable {
    return this.events.subscribe((e) => e.type === 'tags' && l(e.tags))
  }

  onImages(l: Listener<LocalImage[]>): Disposable {
    return this.events.subscribe((e) => e.type === 'images' && l(e.images))
  }

  onNewRelease(l: Listener<NewRelease>): Disposable {
    return this.events.subscribe((e) => e.type === 'newRelease' && l(e.release))
  }

  /** Current tag list and images, then each change (the latest tags and images, every new release), until abort. */
  watch(signal?: AbortSignal): AsyncGenerator<EngineEvent> {
    return this.events.stream(signal, {
      initial: async (): Promise<EngineEvent[]> => [
        { type: 'tags', tags: await this.tags() },
        { type: 'images', images: await this.images().catch(() => []) },
      ],
      enqueue: latestPer((e) => (e.type === 'newRelease' ? undefined : e.type)),
    })
  }

  private emitTags(tags: TagList): void {
    this.events.publish({ type: 'tags', tags })
  }

  private imagesChanged(): void {
    void (async () => {
      this.events.publish({ type: 'images', images: await this.images() })
      this.emitTags(await this.tags())
    })().catch((err: unknown) => this.o.logger.warn({ err }, 'listing local images failed'))
  }

  /** For tests and the UI: when the last scheduled slot was. */
  lastScheduledSlot(): Date {
    return lastSlot(this.now(), this.refreshTime())
  }
}

const ERROR_CODE = { not_found: 'NOT_FOUND', unauthorized: 'FORBIDDEN', unreachable: 'UNAVAILABLE', bad_response: 'UNAVAILABLE' } as const

function ageText(s: number): string {
  if (s < 90) return `${s} s`
  if (s < 90 * 60) return `${Math.round(s / 60)} min`
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`
  return `${Math.round(s / 86400)} days`
}
