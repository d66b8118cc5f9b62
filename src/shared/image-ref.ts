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
