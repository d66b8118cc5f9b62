// @ts-check
/**
 * Fill the simulated registry without a Docker engine (e2e runs have none): per tag, a small random layer blob and
 * an image config are uploaded through the registry API v2 (monolithic blob upload), then a schema-2 manifest is
 * PUT under the tag. Pullable by dockerd only in name (the layer is not a tar); enough for tag listings.
 */
import { createHash, randomBytes } from 'node:crypto'

/** @param {Buffer} b */
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`

/**
 * @param {string} base   plain registry URL (http://127.0.0.1:<registryPort>, no auth)
 * @param {string} name   repository path, e.g. vllm/vllm-openai
 * @param {Buffer} blob
 */
async function uploadBlob(base, name, blob) {
  const digest = sha(blob)
  const start = await fetch(`${base}/v2/${name}/blobs/uploads/`, { method: 'POST' })
  if (start.status !== 202) throw new Error(`blob upload start for ${name}: ${start.status}`)
  const loc = new URL(start.headers.get('location') ?? '', base)
  loc.searchParams.set('digest', digest)
  const put = await fetch(loc, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: blob })
  if (put.status !== 201) throw new Error(`blob upload for ${name}: ${put.status} ${await put.text()}`)
  return digest
}

/**
 * @param {string} base
 * @param {string} name
 * @param {Record<string, {created?: string, sameAs?: string, layerBytes?: number}>} tags
 *   sameAs: push the manifest of an earlier tag under this name too (e.g. latest → v0.21.0)
 * @returns {Promise<Record<string, string>>} tag → manifest digest
 */
export async function seedRegistry(base, name, tags) {
  /** @type {Record<string, {manifest: Buffer, digest: string}>} */
  const made = {}
  /** @type {Record<string, string>} */
  const out = {}
  for (const [tag, o] of Object.entries(tags)) {
    let m = o.sameAs ? made[o.sameAs] : undefined
    if (!m) {
      const layer = randomBytes(o.layerBytes ?? 64 * 1024)
      const layerDigest = await uploadBlob(base, name, layer)
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          created: o.created ?? new Date().toISOString(),
          config: {},
          rootfs: { type: 'layers', diff_ids: [layerDigest] },
        }),
      )
      const configDigest = await uploadBlob(base, name, config)
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
          layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
        }),
      )
      m = { manifest, digest: sha(manifest) }
    }
    const r = await fetch(`${base}/v2/${name}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
      body: m.manifest,
    })
    if (r.status !== 201) throw new Error(`manifest ${name}:${tag}: ${r.status} ${await r.text()}`)
    made[tag] = m
    out[tag] = m.digest
  }
  return out
}
