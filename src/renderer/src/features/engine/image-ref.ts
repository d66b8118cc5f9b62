/**
 * An image reference split as Docker reads it: `[host[:port]/]path[:tag][@digest]`. The tag is after the last ':'
 * of the last path segment (a registry's `:port` is not a tag); no tag means `latest`.
 */
export function splitImage(ref: string): { repository: string; tag: string } {
  const name = ref.trim().split('@')[0] ?? ''
  const slash = name.lastIndexOf('/')
  const colon = name.lastIndexOf(':')
  if (colon > slash) return { repository: name.slice(0, colon), tag: name.slice(colon + 1) }
  return { repository: name, tag: 'latest' }
}

/** What an "image missing" notice can offer for `image`, given the configured vLLM repository. */
export function pullOffer(image: string, configured: string | undefined): { tag: string; viaSettings: boolean } {
  const { repository, tag } = splitImage(image)
  return { tag, viaSettings: configured !== undefined && repository === configured }
}
