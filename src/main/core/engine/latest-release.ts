import type { Logger } from 'pino'
import { splitImage } from '../docker/image-ref'
import { compareVersions, parseTag } from './tags'

/**
 * What a deploy of an "always use the latest release" deployment needs from the vLLM versions service, injected
 * by create-core (the deployment service never imports the versions service).
 */
export interface LatestReleaseSource {
  /** The newest release of `repository` (repository:tag in `ref`); throws when no tag list can be had. */
  resolveLatestRelease(repository: string): Promise<{ tag: string; digest: string | null; ref: string }>
  /** Makes `ref` local (a pull job when missing, awaited); throws when the pull fails or `signal` aborts. */
  ensurePulled(ref: string, signal: AbortSignal, onProgress?: (message: string) => void): Promise<void>
}

/** Whether `candidate` (a release tag) should replace `current`: newer, or the current tag is not a release at all. */
export function isNewerRelease(candidate: string, current: string | null): boolean {
  const next = parseTag(candidate)
  if (next.kind !== 'release' || !next.version) return false
  if (!current) return true
  const cur = parseTag(current)
  if (cur.kind !== 'release' || !cur.version) return true
  const byVersion = compareVersions(next.version, cur.version)
  // Same version: keep a variant (-cu129 …) the user chose.
  return byVersion > 0
}

export type LatestResolution =
  | { kind: 'current'; image: string }
  | { kind: 'newer'; image: string; from: string }
  | { kind: 'unavailable'; image: string; reason: string }

/**
 * At each (re)deploy of an always-latest deployment: the image to run. A newer release is pulled (when not
 * local) before it is returned; without a tag list (offline, registry down, another repository) or when that pull
 * fails, the current image is kept and a warning logged — the deploy never fails for that.
 */
export async function resolveLatestImage(o: {
  source: LatestReleaseSource
  logger: Logger
  name: string
  image: string
  signal: AbortSignal
  onProgress?: (message: string) => void
}): Promise<LatestResolution> {
  const { repository, tag } = splitImage(o.image)
  let latest: { tag: string; ref: string }
  try {
    latest = await o.source.resolveLatestRelease(repository)
  } catch (err) {
    const reason = (err as Error).message
    o.logger.warn({ err, deployment: o.name, image: o.image }, 'always-latest: the newest release is unknown; deploying the current image')
    return { kind: 'unavailable', image: o.image, reason }
  }
  if (!isNewerRelease(latest.tag, tag)) return { kind: 'current', image: o.image }
  o.signal.throwIfAborted()
  try {
    await o.source.ensurePulled(latest.ref, o.signal, o.onProgress)
  } catch (err) {
    if (o.signal.aborted) throw err
    const reason = `pulling ${latest.ref} failed: ${(err as Error).message}`
    o.logger.warn(
      { err, deployment: o.name, image: o.image },
      'always-latest: the newest release could not be pulled; deploying the current image',
    )
    return { kind: 'unavailable', image: o.image, reason }
  }
  o.logger.info({ deployment: o.name, from: o.image, image: latest.ref }, 'always-latest: moving the deployment to the newest release')
  return { kind: 'newer', image: latest.ref, from: o.image }
}
