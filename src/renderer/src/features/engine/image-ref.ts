import { parseImageRef, versionOf } from '@shared/image-ref'

/** `repository:tag` as Docker names the image (`latest` when the reference names no tag). */
export function taggedRef(image: string): string {
  const r = parseImageRef(image.trim())
  return `${r.repository}:${r.tag ?? 'latest'}`
}

/** What an "image missing" notice can offer for `image`, given the configured vLLM repository. */
export function pullOffer(image: string, configured: string | undefined): { tag: string; viaSettings: boolean } {
  const tag = parseImageRef(image.trim()).tag ?? 'latest'
  return { tag, viaSettings: configured !== undefined && !!image.trim() && versionOf(image, configured).foreign === null }
}
