/** An image reference split into its parts: `[registry[:port]/]path[:tag][@digest]`. */
export interface ImageRef {
  /** Registry (with its port) and path, e.g. `registry.local:5000/vllm/vllm-openai`. */
  repository: string
  /** null when the reference names none (Docker then means `latest`, unless a digest pins it). */
  tag: string | null
  /** `sha256:…`, or null. */
  digest: string | null
}

/** The one parser of image references: a `:` after the last `/` starts the tag; a registry port is not a tag. */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@')
  const name = at >= 0 ? ref.slice(0, at) : ref
  const digest = at >= 0 ? ref.slice(at + 1) || null : null
  const m = /^(.*):([^/:]+)$/.exec(name)
  return m ? { repository: m[1] as string, tag: m[2] as string, digest } : { repository: name, tag: null, digest }
}

/** `repo:tag[@digest]` → repository and tag (tag null when the reference names none). */
export function splitImage(image: string): { repository: string; tag: string | null } {
  const { repository, tag } = parseImageRef(image)
  return { repository, tag }
}

/** Whether the reference names one image by itself (a tag or a digest), rather than a whole repository. */
export function isPinned(ref: string): boolean {
  const r = parseImageRef(ref)
  return r.tag !== null || r.digest !== null
}

/** The reference Docker pulls for `ref`: as given when pinned, else with `:latest`. */
export function withDefaultTag(ref: string): string {
  return isPinned(ref) ? ref : `${ref}:latest`
}

/** The digest Docker recorded for the repository of `ref` among an image's RepoDigests (`repo@sha256:…`), or null. */
export function repoDigest(repoDigests: string[] | undefined, ref: string): string | null {
  const { repository } = parseImageRef(ref)
  return (repoDigests ?? []).find((d) => d.startsWith(`${repository}@`))?.split('@')[1] ?? null
}
