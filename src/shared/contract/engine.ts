import { eventIterator, oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'
import { bounded, boundedRecord, MAX } from './bounds'
import { Job } from './jobs'

/** An image tag such as v0.21.0, v0.21.0-cu129, latest, nightly-<sha>. */
export const ImageTag = bounded(128)
  .trim()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'an image tag such as v0.21.0, latest or nightly')

export const TagKind = z.enum(['release', 'latest', 'nightly', 'other'])
export type TagKind = z.infer<typeof TagKind>

/** A local image of the configured repository. */
export const LocalImage = z.object({
  tag: z.string(),
  /** repository:tag as Docker knows it. */
  ref: z.string(),
  id: z.string(),
  /** Registry digest (sha256:…) when the image was pulled; null for a locally built image. */
  digest: z.string().nullable(),
  sizeBytes: z.number(),
  created: z.string(),
  /** Deployments / containers using it; empty = unused. */
  inUseBy: z.array(z.string()),
})
export type LocalImage = z.infer<typeof LocalImage>

export const EngineTag = z.object({
  name: z.string(),
  kind: TagKind,
  /** Release version without variant, e.g. v0.21.0 (releases and their variants). */
  version: z.string().nullable(),
  /** Variant suffix, e.g. cu129, x86_64, ubuntu2404; null for the main tag. */
  variant: z.string().nullable(),
  /** Last push (Docker Hub last_updated, or the image's created time from a registry); null when unknown. */
  date: z.string().nullable(),
  /** Manifest digest in the registry; null when unknown. */
  digest: z.string().nullable(),
  /** Compressed size in the registry (sum of layers); null when unknown. */
  sizeBytes: z.number().nullable(),
  /** Pulled locally (size and digest of the local image). */
  local: z.object({ sizeBytes: z.number(), digest: z.string().nullable(), upToDate: z.boolean().nullable() }).nullable(),
})
export type EngineTag = z.infer<typeof EngineTag>

export const Release = z.object({
  version: z.string(),
  /** The main tag (vX.Y.Z); null when only variants were published. */
  tag: EngineTag.nullable(),
  variants: z.array(EngineTag),
})
export type Release = z.infer<typeof Release>

export const TagList = z.object({
  repository: z.string(),
  source: z.enum(['dockerhub', 'registry']),
  /** Where the list came from (API base URL). */
  endpoint: z.string(),
  /** When the list was fetched; null = never. */
  fetchedAt: z.string().nullable(),
  ageSeconds: z.number().nullable(),
  /** Releases, newest first (semver). */
  releases: z.array(Release),
  latest: z.array(EngineTag),
  /** Nightlies, newest first. */
  nightlies: z.array(EngineTag),
  other: z.array(EngineTag),
  /** Newest non-prerelease release tag; null when none. */
  newestRelease: z.string().nullable(),
  /** The last refresh failed: this is the cached list; message says why and how old it is. */
  error: z.object({ message: z.string(), fix: z.string() }).nullable(),
  /** Docker could not be asked for local images: pulled tags are not marked. */
  dockerError: z.string().nullable(),
  refreshing: z.boolean(),
  /** Next scheduled refresh (local time from Settings.tagRefreshTime). */
  nextRefreshAt: z.string(),
})
export type TagList = z.infer<typeof TagList>

export const NewRelease = z.object({
  repository: z.string(),
  tag: z.string(),
  digest: z.string().nullable(),
  previous: z.string().nullable(),
  at: z.string(),
})
export type NewRelease = z.infer<typeof NewRelease>

export const EngineEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tags'), tags: TagList }),
  z.object({ type: z.literal('images'), images: z.array(LocalImage) }),
  z.object({ type: z.literal('newRelease'), release: NewRelease }),
])
export type EngineEvent = z.infer<typeof EngineEvent>

/** vLLM argument values as a deployment holds them (flag → value). */
const ArgsRecord = boundedRecord(
  bounded(MAX.flag),
  z.union([bounded(MAX.argValue), z.number(), z.boolean(), z.array(bounded(MAX.argValue)).max(MAX.entries)]),
)

export const FlagRejection = z.object({
  flag: z.string(),
  reason: z.string(),
  /** What replaced it, when known (e.g. --enable-log-requests). */
  successor: z.string().nullable(),
})
export type FlagRejection = z.infer<typeof FlagRejection>

export const FlagDiff = z.object({
  from: z.string(),
  to: z.string(),
  /** Which flag lists were compared (the images' own, or the bundled history snapshots). */
  basis: z.string(),
  added: z.array(z.string()),
  removed: z.array(z.string()),
  renamed: z.array(z.object({ from: z.string(), to: z.string() })),
  /** Flags newly deprecated in the target. */
  deprecated: z.array(z.string()),
  /** Of the given args, those the target version would refuse. */
  rejected: z.array(FlagRejection),
})
export type FlagDiff = z.infer<typeof FlagDiff>

export const PruneResult = z.object({ removed: z.array(z.string()), kept: z.array(z.string()), bytesFreed: z.number() })
export type PruneResult = z.infer<typeof PruneResult>

export const engineContract = {
  tags: oc
    .route({
      method: 'GET',
      path: '/engine/tags',
      summary: 'vLLM image tags of the configured repository (cached list with its age)',
      tags: ['engine'],
    })
    .errors(commonErrors)
    .output(TagList),
  refreshTags: oc
    .route({
      method: 'POST',
      path: '/engine/tags/refresh',
      summary: 'Fetch the tag list now; offline, the cached list comes back with the error',
      tags: ['engine'],
    })
    .errors(commonErrors)
    .output(TagList),
  images: oc
    .route({ method: 'GET', path: '/engine/images', summary: 'Pulled images of the configured repository', tags: ['engine'] })
    .errors(commonErrors)
    .output(z.array(LocalImage)),
  pull: oc
    .route({
      method: 'POST',
      path: '/engine/pull',
      summary: 'Pull a tag (a job with layer progress; checks the tag and disk space first)',
      tags: ['engine'],
    })
    .errors(commonErrors)
    .input(z.object({ tag: ImageTag }))
    .output(Job),
  removeImage: oc
    .route({
      method: 'DELETE',
      path: '/engine/images/{tag}',
      summary: 'Remove a pulled tag (refused while a deployment uses it)',
      tags: ['engine'],
    })
    .errors(commonErrors)
    .input(z.object({ tag: ImageTag }))
    .output(PruneResult),
  prune: oc
    .route({
      method: 'POST',
      path: '/engine/prune',
      summary: 'Pulled images of the repository no deployment uses; dryRun: false removes them (a job; result has bytesFreed)',
      tags: ['engine'],
    })
    .errors(commonErrors)
    // Destructive only when asked: a bare call (or a stray cross-site one) just lists the candidates.
    .input(z.object({ dryRun: z.boolean().default(true) }))
    .output(z.object({ job: Job.nullable(), candidates: z.array(LocalImage) })),
  flagDiff: oc
    .route({
      method: 'POST',
      path: '/engine/flag-diff',
      summary: 'Flags added/removed/renamed between two versions, and the given args the target would refuse',
      tags: ['engine'],
    })
    .errors(commonErrors)
    .input(z.object({ from: ImageTag, to: ImageTag, args: ArgsRecord.default({}) }))
    .output(FlagDiff),
  /** Tag list, local images and new-release notices: the current state first, then each change. */
  watch: oc.errors(commonErrors).output(eventIterator(EngineEvent)),
}
