import { parseImageRef } from '../../../shared/image-ref'

export { parseImageRef, type ImageRef } from '../../../shared/image-ref'

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
