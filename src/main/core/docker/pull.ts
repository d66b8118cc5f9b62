import type Dockerode from 'dockerode'
import type { JobItem } from '../../../shared/contract/jobs'
import { AppError } from '../errors'

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

/** Folds Docker's per-layer events into bytes done/total and items (layers known from a manifest, or none). */
export class PullProgress {
  private readonly layers = new Map<string, LayerState>()
  digest: string | null = null
  upToDate = false

  constructor(layers: { digest: string; size: number }[] = []) {
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
    return new AppError('NOT_FOUND', `The tag of ${ref} does not exist in the registry.`, {
      fix: 'Refresh the tag list and pick a tag it shows.',
    })
  if (/unauthorized|denied|authentication required|requested access to the resource is denied/i.test(message))
    return new AppError('FORBIDDEN', `The registry refused to serve ${ref} (${message}).`, {
      fix: 'Check that the repository is public, or log Docker in to the registry (docker login) and try again.',
    })
  if (/connection refused|no such host|i\/o timeout|dial tcp|TLS handshake|network is unreachable|EOF|connection reset/i.test(message))
    return new AppError('UNAVAILABLE', `The registry for ${ref} is unreachable from Docker (${message}).`, {
      fix: 'Check the network connection (or the registry mirror) and try again.',
    })
  return new AppError('UNAVAILABLE', `Pulling ${ref} failed: ${message}`, { fix: 'Try again; the Docker log has details.' })
}

/** Whether `ref` is a local image (any failure, Docker unreachable included, counts as absent). */
export async function imagePresent(docker: Dockerode, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect()
    return true
  } catch {
    return false
  }
}

/** Docker refused the pull request itself (before streaming): the registry is unreachable, the tag unknown … */
export class PullRequestError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options)
  }
}

/**
 * Pulls `ref` (POST /images/create), folding every progress line into `progress` and handing it to `onEvent`
 * with the line's error, if any. Resolves with the first error the stream reported (the pull failed), or
 * undefined; throws a PullRequestError when Docker refuses the request, and the abort reason when `signal` aborts.
 */
export async function pullImage(
  docker: Dockerode,
  ref: string,
  o: { signal: AbortSignal; progress: PullProgress; onEvent: (e: PullEvent, failure: string | undefined) => void },
): Promise<string | undefined> {
  let stream: NodeJS.ReadableStream
  try {
    stream = (await docker.pull(ref, { abortSignal: o.signal })) as NodeJS.ReadableStream
  } catch (err) {
    // Docker answers 4xx/5xx before streaming when the registry cannot be reached or refuses
    if (o.signal.aborted) throw err
    const e = err as { json?: { message?: string }; message?: string }
    throw new PullRequestError(e.json?.message ?? e.message ?? String(err), { cause: err })
  }
  return new Promise<string | undefined>((resolve, reject) => {
    let failed: string | undefined
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve(failed)),
      (e: PullEvent) => {
        const msg = o.progress.apply(e)
        if (msg) failed ??= msg
        o.onEvent(e, msg)
      },
    )
    o.signal.addEventListener('abort', () => reject(o.signal.reason), { once: true })
  })
}
