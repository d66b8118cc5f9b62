import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { JobItem } from '../../../shared/contract/jobs'
import { AppError } from '../errors'
import type { JobKindDef } from '../jobs/job-service'
import { formatBytes } from '../models/disk'

/** An image pull as a job (POST /images/create streaming JSON lines), aggregated per layer. */
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

/** One line of Docker's pull progress stream. */
export interface PullEvent {
  status?: string
  id?: string
  progressDetail?: { current?: number; total?: number }
  error?: string
  errorDetail?: { message?: string }
}

interface LayerState {
  name: string
  total: number
  done: number
  state: JobItem['state']
}

/** Folds Docker's per-layer events into bytes done/total and items. */
export class PullProgress {
  private readonly layers = new Map<string, LayerState>()
  digest: string | null = null
  upToDate = false

  constructor(layers: { digest: string; size: number }[]) {
    for (const l of layers) {
      const id = l.digest.replace(/^sha256:/, '').slice(0, 12)
      this.layers.set(id, { name: id, total: l.size, done: 0, state: 'pending' })
    }
  }

  /** Returns an error message when the line is an error. */
  apply(e: PullEvent): string | undefined {
    if (e.error || e.errorDetail) return e.errorDetail?.message ?? e.error ?? 'pull failed'
    const status = e.status ?? ''
    const digest = /^Digest: (sha256:[0-9a-f]{64})/.exec(status)
    if (digest) this.digest = digest[1] ?? null
    if (/Image is up to date/.test(status)) this.upToDate = true
    if (!e.id || !/^[0-9a-f]{12}$/.test(e.id)) return undefined
    let l = this.layers.get(e.id)
    if (!l) {
      l = { name: e.id, total: 0, done: 0, state: 'pending' }
      this.layers.set(e.id, l)
    }
    const total = e.progressDetail?.total
    switch (status) {
      case 'Downloading':
        if (total && total > 0) l.total = total
        l.done = Math.min(e.progressDetail?.current ?? l.done, l.total || Infinity)
        l.state = 'running'
        break
      case 'Verifying Checksum':
      case 'Download complete':
        l.done = l.total
        l.state = 'verifying'
        break
      case 'Extracting':
        l.done = l.total
        l.state = 'verifying'
        break
      case 'Pull complete':
      case 'Already exists':
        l.done = l.total
        l.state = 'done'
        break
      default:
        break
    }
    return undefined
  }

  snapshot(): { bytesDone: number; bytesTotal: number; items: JobItem[] } {
    let done = 0
    let total = 0
    const items: JobItem[] = []
    for (const l of this.layers.values()) {
      done += l.done
      total += l.total
      items.push({ name: l.name, bytesDone: l.done, bytesTotal: l.total, state: l.state })
    }
    return { bytesDone: done, bytesTotal: total, items }
  }
}

/** A Docker pull error in words the user can act on. */
export function pullError(ref: string, message: string): AppError {
  if (/manifest unknown|not found: manifest|manifest for .* not found/i.test(message))
    return new AppError('NOT_FOUND', `The tag of ${ref} does not exist in the registry.`, { fix: 'Refresh the tag list and pick a tag it shows.' })
  if (/unauthorized|denied|authentication required|requested access to the resource is denied/i.test(message))
    return new AppError('FORBIDDEN', `The registry refused to serve ${ref} (${message}).`, { fix: 'Check that the repository is public, or log Docker in to the registry (docker login) and try again.' })
  if (/connection refused|no such host|i\/o timeout|dial tcp|TLS handshake|network is unreachable|EOF|connection reset/i.test(message))
    return new AppError('UNAVAILABLE', `The registry for ${ref} is unreachable from Docker (${message}).`, { fix: 'Check the network connection (or the registry mirror) and try again.' })
  return new AppError('UNAVAILABLE', `Pulling ${ref} failed: ${message}`, { fix: 'Try again; the Docker log has details.' })
}

export interface EnginePullDeps {
  docker(): Dockerode
  logger: Logger
  /** Local images changed (pull finished or cancelled). */
  changed(): void
}

async function imagePresent(docker: Dockerode, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect()
    return true
  } catch {
    return false
  }
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
      let stream: NodeJS.ReadableStream
      try {
        stream = (await docker.pull(ref, { abortSignal: ctx.signal })) as NodeJS.ReadableStream
      } catch (err) {
        // Docker answers 4xx/5xx before streaming when the registry cannot be reached or refuses
        if (ctx.signal.aborted) throw err
        const e = err as { json?: { message?: string }; message?: string }
        throw pullError(ref, e.json?.message ?? e.message ?? String(err))
      }
      const failure = await new Promise<string | undefined>((resolve, reject) => {
        let failed: string | undefined
        docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve(failed)),
          (e: PullEvent) => {
            const msg = progress.apply(e)
            if (msg) failed ??= msg
            const s = progress.snapshot()
            ctx.progress({ ...s, message: msg ?? (e.status ? `${e.status}${e.id ? ` ${e.id}` : ''}` : undefined) })
          },
        )
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true })
      })
      if (failure) throw pullError(ref, failure)
      const info = await docker.getImage(ref).inspect()
      const digest = (info.RepoDigests ?? []).find((d) => d.startsWith(`${p.repository}@`))?.split('@')[1] ?? progress.digest
      const s = progress.snapshot()
      ctx.progress({ bytesDone: s.bytesTotal, bytesTotal: s.bytesTotal, items: s.items.map((i) => ({ ...i, bytesDone: i.bytesTotal, state: 'done' })), message: `Pulled ${ref} (${formatBytes(info.Size)})` })
      deps.changed()
      return { ref, digest: digest ?? '', sizeBytes: info.Size, upToDate: progress.upToDate }
    },
    async cancelled(p) {
      // Docker drops the pull when our request closes; only a pull that finished in the same instant could have
      // registered the tag. Nothing half-done stays: if the tag was not there before, it must not be now.
      const ref = `${p.repository}:${p.tag}`
      const docker = deps.docker()
      if (!p.existed && (await imagePresent(docker, ref))) {
        await docker.getImage(ref).remove().catch((err: unknown) => deps.logger.warn({ err, ref }, 'removing a cancelled pull failed'))
      }
      deps.changed()
    },
  }
}
