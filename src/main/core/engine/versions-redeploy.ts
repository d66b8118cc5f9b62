import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import type { DeploymentDefinition, DeploymentSpecInput } from '../../../shared/contract/deployments'
import type { Job } from '../../../shared/contract/jobs'
import type { NewRelease } from '../../../shared/contract/engine'
import type { LatestImageResolver } from '../deployments/deployment-service'
import { resolveLatestImage, type LatestReleaseSource } from './latest-release'
import { parseImageRef } from '../docker/image-ref'
import { imagePresent } from '../docker/pull'
import type { JobService } from '../jobs/job-service'
import type { EngineVersionsService } from './versions-service'

/**
 * "Always use the latest release": when a refresh finds a newer release, pull it once, point every always-latest
 * deployment of the configured repository at it (recording the pulled digest), and restart the ones that run.
 * Works through the deployment service's public API (list / update / restart); a definition takes part when it
 * carries `alwaysLatest: true` (and keeps `imageDigest`) — fields of DeploymentSpec (issue 7).
 */
export interface RedeployTarget {
  list(): { definition: DeploymentDefinition; status: { state: string } }[]
  update(id: string, spec: DeploymentSpecInput): Promise<unknown>
  restart(id: string): Job
}

const RUNNING = new Set(['creating', 'starting', 'loading', 'ready'])

export class AlwaysLatestRedeployer {
  private readonly sub: { dispose(): void }
  private chain: Promise<void> = Promise.resolve()

  constructor(private readonly o: { engine: EngineVersionsService; deployments: RedeployTarget; jobs: JobService; logger: Logger }) {
    this.sub = o.engine.onNewRelease((r) => {
      this.chain = this.chain
        .then(async () => {
          await this.apply(r)
        })
        .catch((err: unknown) => o.logger.warn({ err, release: r }, 'always-latest redeploy failed'))
    })
  }

  dispose(): void {
    this.sub.dispose()
  }

  /** Pull `release` and move the always-latest deployments onto it. Returns the ids moved. */
  async apply(release: NewRelease): Promise<string[]> {
    const ref = `${release.repository}:${release.tag}`
    const targets = this.o.deployments
      .list()
      .filter(
        (d) =>
          d.definition.alwaysLatest === true &&
          parseImageRef(d.definition.image).repository === release.repository &&
          d.definition.image !== ref,
      )
    if (targets.length === 0) return []
    const pull = await this.o.engine.pull(release.tag)
    const done = await this.waitJob(pull.id)
    if (done.state !== 'done') throw new Error(`pulling ${ref} for always-latest deployments ${done.state}: ${done.error?.message ?? ''}`)
    const digest = (await this.o.engine.localDigest(ref)) ?? release.digest
    const moved: string[] = []
    for (const d of targets) {
      const { id, createdAt: _c, updatedAt: _u, ...spec } = d.definition
      await this.o.deployments.update(id, { ...spec, image: ref, imageDigest: digest ?? undefined })
      if (RUNNING.has(d.status.state)) this.o.deployments.restart(id)
      this.o.logger.info({ deployment: d.definition.name, image: ref, digest }, 'always-latest deployment moved to the newer release')
      moved.push(id)
    }
    return moved
  }

  private waitJob(id: string): Promise<Job> {
    return waitJob(this.o.jobs, id)
  }
}

/** Resolves with the job once it is done, failed or cancelled; rejects with the signal's reason on abort. */
function waitJob(jobs: JobService, id: string, signal?: AbortSignal): Promise<Job> {
  return new Promise((resolve, reject) => {
    const finish = (fn: () => void): void => {
      sub.dispose()
      signal?.removeEventListener('abort', onAbort)
      fn()
    }
    const check = (j: Job): void => {
      if (j.id === id && (j.state === 'done' || j.state === 'failed' || j.state === 'cancelled')) finish(() => resolve(j))
    }
    const onAbort = (): void => finish(() => reject(signal?.reason))
    const sub = jobs.onUpdate(check)
    signal?.addEventListener('abort', onAbort)
    if (signal?.aborted) onAbort()
    else check(jobs.get(id))
  })
}

/**
 * The deployment service's view of the versions service, for the deploy of an always-latest deployment:
 * the newest release of the configured repository, and a pull (job) of it when it is not local.
 */
export function latestImageResolver(o: {
  engine: EngineVersionsService
  jobs: JobService
  docker: () => Dockerode
  logger: Logger
}): LatestImageResolver {
  const source = latestReleaseSource(o.engine, o.jobs, o.docker)
  return { resolve: (r) => resolveLatestImage({ source, logger: o.logger, ...r }) }
}

function latestReleaseSource(engine: EngineVersionsService, jobs: JobService, docker: () => Dockerode): LatestReleaseSource {
  return {
    resolveLatestRelease: (repository) => engine.resolveLatestRelease(repository),
    ensurePulled: async (ref, signal, onProgress) => {
      if (await imagePresent(docker(), ref)) return
      const tag = parseImageRef(ref).tag ?? 'latest'
      const job = await engine.pull(tag)
      onProgress?.(`Pulling ${ref}`)
      const sub = jobs.onUpdate((j) => {
        if (j.id === job.id && j.progress.bytesTotal > 0)
          onProgress?.(`Pulling ${ref}: ${Math.round((100 * j.progress.bytesDone) / j.progress.bytesTotal)} %`)
      })
      try {
        const done = await waitJob(jobs, job.id, signal)
        if (done.state !== 'done') throw new Error(`the pull job ${done.state}${done.error?.message ? `: ${done.error.message}` : ''}`)
      } finally {
        sub.dispose()
      }
    },
  }
}
