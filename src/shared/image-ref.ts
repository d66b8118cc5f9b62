/** An image reference split into its parts: `[registry[:port]/]path[:tag][@digest]`. */
export interface ImageRef {
  /** Registry (with its port) and path, e.g. `registry.local:5000/vllm/vllm-openai`. */
  repository: string
  /** null when the reference names none (Docker then means `latest`, unless a digest pins it). */
  tag: string | null
  /** `sha256:…`, or null. */
  digest: string | null
}

/**
 * The one parser of image references (the core's docker/image-ref.ts builds on it; the UI uses it directly):
 * a `:` after the last `/` starts the tag; a registry port is not a tag.
 */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@')
  const name = at >= 0 ? ref.slice(0, at) : ref
  const digest = at >= 0 ? ref.slice(at + 1) || null : null
  const m = /^(.*):([^/:]+)$/.exec(name)
  return m ? { repository: m[1] as string, tag: m[2] as string, digest } : { repository: name, tag: null, digest }
}

const HUB_PREFIX = /^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//

/** A repository as Docker resolves it: Docker Hub's host and `library/` spelled out or not, case aside. */
export function canonicalRepository(repository: string): string {
  return repository
    .trim()
    .toLowerCase()
    .replace(HUB_PREFIX, '')
    .replace(/^library\//, '')
}

/**
 * What a version picker for `listed` (the repository whose tags it lists) may show for `image`: the image's tag
 * when the image is from that repository; otherwise no tag, and the image's own repository to say so.
 */
export function versionOf(image: string, listed: string): { tag: string; foreign: string | null } {
  if (!image.trim()) return { tag: '', foreign: null }
  const ref = parseImageRef(image.trim())
  if (canonicalRepository(ref.repository) !== canonicalRepository(listed)) return { tag: '', foreign: ref.repository }
  return { tag: ref.tag ?? 'latest', foreign: null }
}
