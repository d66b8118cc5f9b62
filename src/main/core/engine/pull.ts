import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import { z } from 'zod'
import { imagePresent, pullError, pullImage, PullProgress, PullRequestError } from '../docker/pull'
import { repoDigest } from '../docker/image-ref'
import type { JobKindDef } from '../jobs/job-service'
import { formatBytes } from '../disk'

/** An image pull as a job (docker/pull: POST /images/create streaming JSON lines), aggregated per layer. */
export const EnginePullParams = z.object({
  /** repository as Docker names it (RepoTags prefix). */
  repository: z.string(),
  tag: z.string(),
  /** Compressed layers from the manifest (digest, size), for the totals before Docker reports them. */
  layers: z.array(z.object({ digest: z.string(), size: z.number() })),
  /** The tag was present before the pull (then a cancel must not remove it). */
  existed: z.boolean(),
})
export type EnginePullParams = z.infer<typeof EnginePullParams>

export interface EnginePullDeps {
  docker(): Dockerode
  logger: Logger
  /** Local images changed (pull finished or cancelled). */
  changed(): void
}

export function enginePullJobKind(deps: EnginePullDeps): JobKindDef<EnginePullParams> {
  return {
    kind: 'engine.pull',
    params: EnginePullParams,
    persistent: false,
    pausable: false,
    async run(ctx) {
      const p = ctx.params
      const ref = `${p.repository}:${p.tag}`
      const docker = deps.docker()
      const progress = new PullProgress(p.layers)
      ctx.progress({ ...progress.snapshot(), message: `Pulling ${ref}` })
      let failure: string | undefined
      try {
        failure = await pullImage(docker, ref, {
          signal: ctx.signal,
          progress,
          onEvent: (e, msg) => {
            const message = msg ?? (e.status ? `${e.status}${e.id ? ` ${e.id}` : ''}` : undefined)
            ctx.progress({ ...progress.snapshot(), message })
          },
        })
      } catch (err) {
        throw err instanceof PullRequestError ? pullError(ref, err.reason) : err
      }
      if (failure) throw pullError(ref, failure)
      const info = await docker.getImage(ref).inspect()
      const digest = repoDigest(info.RepoDigests, ref) ?? progress.digest
      const s = progress.snapshot()
      ctx.progress({
        bytesDone: s.bytesTotal,
        bytesTotal: s.bytesTotal,
        items: s.items.map((i) => ({ ...i, bytesDone: i.bytesTotal, state: 'done' })),
        message: `Pulled ${ref} (${formatBytes(info.Size)})`,
      })
      deps.changed()
      return { ref, digest: digest ?? '', sizeBytes: info.Size, upToDate: progress.upToDate }
    },
    async cancelled(p) {
      // Docker drops the pull when our request closes; only a pull that finished in the same instant could have
      // registered the tag. Nothing half-done stays: if the tag was not there before, it must not be now.
      const ref = `${p.repository}:${p.tag}`
      const docker = deps.docker()
      if (!p.existed && (await imagePresent(docker, ref))) {
        await docker
          .getImage(ref)
          .remove()
          .catch((err: unknown) => deps.logger.warn({ err, ref }, 'removing a cancelled pull failed'))
      }
      deps.changed()
    },
  }
}
