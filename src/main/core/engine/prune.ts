import type Dockerode from 'dockerode'
import { z } from 'zod'
import type { LocalImage, PruneResult } from '../../../shared/contract/engine'
import { repoDigest } from '../docker/image-ref'
import { AppError } from '../errors'
import type { JobKindDef } from '../jobs/job-service'
import { formatBytes } from '../disk'

/** Image references deployments use (definitions without a container count too); set by the deployment service. */
export type ImageUsage = () => Promise<{ ref: string; by: string }[]>

/** Pulled images of `repository` (RepoTags prefix), with the containers and deployments using each. */
export async function localImages(docker: Dockerode, repository: string, usage: ImageUsage): Promise<LocalImage[]> {
  const [images, containers, used] = await Promise.all([docker.listImages({ all: false }), docker.listContainers({ all: true }), usage()])
  const byImage = new Map<string, string[]>()
  for (const c of containers) {
    const who = c.Labels?.['inferadmin.deployment']
      ? `deployment ${c.Labels['inferadmin.deployment']}`
      : `container ${(c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '')}`
    byImage.set(c.ImageID, [...(byImage.get(c.ImageID) ?? []), who])
  }
  const out: LocalImage[] = []
  for (const img of images) {
    for (const ref of img.RepoTags ?? []) {
      if (!ref.startsWith(`${repository}:`)) continue
      const tag = ref.slice(repository.length + 1)
      const digest = repoDigest(img.RepoDigests, ref)
      const inUse = new Set(byImage.get(img.Id) ?? [])
      for (const u of used) if (u.ref === ref || (digest && u.ref.endsWith(`@${digest}`))) inUse.add(`deployment ${u.by}`)
      out.push({
        tag,
        ref,
        id: img.Id,
        digest,
        sizeBytes: img.Size,
        created: new Date(img.Created * 1000).toISOString(),
        inUseBy: [...inUse].sort(),
      })
    }
  }
  return out.sort((a, b) => a.tag.localeCompare(b.tag))
}

/** Bytes of image layers Docker holds (GET /system/df LayersSize). */
async function layersSize(docker: Dockerode): Promise<number> {
  const df = (await docker.df()) as { LayersSize?: number }
  return df.LayersSize ?? 0
}

/** Untag (and delete when it was the last tag) the given images; bytes freed from Docker's layer accounting. */
export async function removeImages(docker: Dockerode, images: LocalImage[], signal?: AbortSignal): Promise<PruneResult> {
  const before = await layersSize(docker)
  const removed: string[] = []
  const kept: string[] = []
  for (const img of images) {
    if (signal?.aborted) break
    if (img.inUseBy.length) {
      kept.push(img.ref)
      continue
    }
    try {
      await docker.getImage(img.ref).remove()
      removed.push(img.ref)
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode
      if (status === 409) kept.push(img.ref)
      else if (status !== 404) throw err
    }
  }
  const after = await layersSize(docker)
  return { removed, kept, bytesFreed: Math.max(0, before - after) }
}

export async function removeOne(docker: Dockerode, images: LocalImage[], tag: string): Promise<PruneResult> {
  const img = images.find((i) => i.tag === tag)
  if (!img)
    throw new AppError('NOT_FOUND', `No pulled image with tag ${tag}.`, { fix: 'List pulled images with GET /api/v1/engine/images.' })
  if (img.inUseBy.length)
    throw new AppError('CONFLICT', `${img.ref} is in use by ${img.inUseBy.join(', ')}.`, {
      fix: 'Switch or remove those deployments first, then remove the image.',
    })
  return removeImages(docker, [img])
}

export const EnginePruneParams = z.object({ repository: z.string(), refs: z.array(z.string()) })
export type EnginePruneParams = z.infer<typeof EnginePruneParams>

export function enginePruneJobKind(deps: { docker(): Dockerode; usage: ImageUsage; changed(): void }): JobKindDef<EnginePruneParams> {
  return {
    kind: 'engine.prune',
    params: EnginePruneParams,
    persistent: false,
    pausable: false,
    async run(ctx) {
      const docker = deps.docker()
      // Usage is read again now: a deployment created since the confirmation keeps its image.
      const current = await localImages(docker, ctx.params.repository, deps.usage)
      const chosen = current.filter((i) => ctx.params.refs.includes(i.ref))
      ctx.progress({ bytesDone: 0, bytesTotal: chosen.length, message: `Removing ${chosen.length} unused image tags` })
      const r = await removeImages(docker, chosen, ctx.signal)
      deps.changed()
      ctx.progress({
        bytesDone: chosen.length,
        bytesTotal: chosen.length,
        message: `Removed ${r.removed.length} tags, freed ${formatBytes(r.bytesFreed)}`,
      })
      return { removed: r.removed.length, kept: r.kept.join(', '), bytesFreed: r.bytesFreed }
    },
  }
}
