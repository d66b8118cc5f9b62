import { eventIterator, oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'
import { bounded, MAX } from './bounds'
import { Job } from './jobs'

/** "org/name" as on the Hub. */
export const RepoId = bounded(MAX.repoId)
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use the Hub id "org/name", e.g. Qwen/Qwen3-0.6B')
  .refine((s) => !s.includes('..') && !s.includes('--'), { message: 'must not contain ".." or "--"' })

/**
 * One half of a RepoId, as a path parameter (`/models/{org}/{name}`): the same rules, so "..", "/",
 * "%2F" (decoded to "/"), control characters and the like never reach the model store.
 */
export const RepoPart = bounded(MAX.repoPart, "at most 96 characters (the Hub's limit)")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only, as in the Hub id org/name, e.g. Qwen')
  .refine((s) => !s.includes('..') && !s.includes('--'), { message: 'must not contain ".." or "--"' })

export const Revision = bounded(MAX.revision)
  .trim()
  .min(1)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'a branch, tag or 40-hex commit, e.g. main')
  .refine((s) => !s.split('/').includes('..'), { message: 'must not contain ".."' })

export const LocalRevision = z.object({
  commit: z.string(),
  /** Refs pointing at this commit (e.g. ["main"]). */
  refs: z.array(z.string()),
  files: z.number().int(),
  /** Bytes of the files of this snapshot. */
  sizeBytes: z.number(),
  /** Deployments using this snapshot (empty = unused). */
  inUseBy: z.array(z.string()),
})
export type LocalRevision = z.infer<typeof LocalRevision>

export const UpdateStatus = z.object({
  ref: z.string(),
  localCommit: z.string(),
  remoteCommit: z.string().optional(),
  updateAvailable: z.boolean(),
  checkedAt: z.string(),
  error: z.string().optional(),
})
export type UpdateStatus = z.infer<typeof UpdateStatus>

export const LocalModel = z.object({
  repo: z.string(),
  /** Store location (directory) holding it. */
  location: z.string(),
  /** Bytes of its blobs on disk (shared blobs counted once). */
  sizeOnDisk: z.number(),
  /** Bytes of unfinished downloads (*.incomplete). */
  incompleteBytes: z.number(),
  revisions: z.array(LocalRevision),
  /** Last update check of its main ref, when done. */
  update: UpdateStatus.optional(),
  /** A download or delete of it is running or paused. */
  activeJob: z.string().optional(),
  /** Deployment definitions naming this model, whatever their state (deleting it stops them from starting). */
  namedBy: z.array(z.string()),
})
export type LocalModel = z.infer<typeof LocalModel>

export const SearchSort = z.enum(['downloads', 'trending'])

export const SearchResult = z.object({
  repo: z.string(),
  downloads: z.number(),
  likes: z.number(),
  private: z.boolean(),
  gated: z.union([z.literal(false), z.literal('auto'), z.literal('manual')]),
  pipelineTag: z.string().optional(),
  /** Parameter count from the safetensors metadata. */
  parameters: z.number().optional(),
  /** Bytes the default file selection would download; absent when the file list is not readable (gated). */
  downloadBytes: z.number().optional(),
  updatedAt: z.string(),
  /** Already in a local store. */
  local: z.boolean(),
})
export type SearchResult = z.infer<typeof SearchResult>

export const PlanFile = z.object({
  path: z.string(),
  size: z.number(),
  lfs: z.boolean(),
  /** In the default selection (safetensors + configs + tokenizer; no *.bin/*.pt or original/ when safetensors exist). */
  selected: z.boolean(),
  /** Its blob is already in the store. */
  local: z.boolean(),
})
export type PlanFile = z.infer<typeof PlanFile>

export const PullPlan = z.object({
  repo: z.string(),
  revision: z.string(),
  commit: z.string(),
  gated: z.union([z.literal(false), z.literal('auto'), z.literal('manual')]),
  private: z.boolean(),
  parameters: z.number().optional(),
  files: z.array(PlanFile),
  location: z.string(),
  /** Bytes the default selection still has to download, and free space at the location. */
  downloadBytes: z.number(),
  freeBytes: z.number(),
})
export type PullPlan = z.infer<typeof PullPlan>

/** A store location: its path or its label. */
const Location = bounded(MAX.path)

export const PullInput = z.object({
  repo: RepoId,
  revision: Revision.optional(),
  /** Store location path or label; default: the default store. */
  location: Location.optional(),
  /** Files to fetch (paths); default: the default selection. */
  files: z.array(bounded(MAX.path).min(1)).max(MAX.files).optional(),
})
export type PullInput = z.infer<typeof PullInput>

export const StorageLocationInfo = z.object({
  path: z.string(),
  label: z.string(),
  isDefault: z.boolean(),
  exists: z.boolean(),
  totalBytes: z.number(),
  freeBytes: z.number(),
  /** Bytes of model blobs and partial downloads in this location. */
  usedByModels: z.number(),
  models: z.number().int(),
  error: z.string().optional(),
})
export type StorageLocationInfo = z.infer<typeof StorageLocationInfo>

const OrgName = z.object({ org: RepoPart, name: RepoPart })

export const modelsContract = {
  list: oc
    .route({
      method: 'GET',
      path: '/models',
      summary: 'Models in every store location (size, revisions, update status, in use)',
      tags: ['models'],
    })
    .errors(commonErrors)
    .output(z.array(LocalModel)),
  search: oc
    .route({
      method: 'GET',
      path: '/models/search',
      summary: 'Search the Hub (size to download, parameters, gated/private, already local)',
      tags: ['models'],
    })
    .errors(commonErrors)
    .input(
      z.object({
        q: bounded(MAX.name).default(''),
        sort: SearchSort.default('downloads'),
        limit: z.coerce.number().int().min(1).max(50).default(20),
      }),
    )
    .output(z.array(SearchResult)),
  plan: oc
    .route({
      method: 'GET',
      path: '/models/plan',
      summary: 'What a pull would fetch: commit, files with the default selection, sizes, free space',
      tags: ['models'],
    })
    .errors(commonErrors)
    .input(z.object({ repo: RepoId, revision: Revision.optional(), location: Location.optional() }))
    .output(PullPlan),
  pull: oc
    .route({
      method: 'POST',
      path: '/models/pull',
      summary: 'Download a model (a job): resolved to a commit first, resumable',
      tags: ['models'],
    })
    .errors(commonErrors)
    .input(PullInput)
    .output(Job),
  checkUpdates: oc
    .route({ method: 'POST', path: '/models/updates/check', summary: 'Compare each local ref with the Hub', tags: ['models'] })
    .errors(commonErrors)
    .output(z.array(LocalModel)),
  update: oc
    .route({
      method: 'POST',
      path: '/models/{org}/{name}/update',
      summary: 'Update a model to the newest commit of its ref (a job; only changed files)',
      tags: ['models'],
    })
    .errors(commonErrors)
    .input(OrgName.extend({ location: Location.optional() }))
    .output(Job),
  delete: oc
    .route({
      method: 'DELETE',
      path: '/models/{org}/{name}',
      summary: 'Delete a model (a job); refused while a deployment uses it, and without confirm while a definition names it',
      tags: ['models'],
    })
    .errors(commonErrors)
    .input(
      OrgName.extend({
        location: Location.optional(),
        /** Delete although deployment definitions name it (the person saw which and agreed). */
        confirm: z
          .union([z.boolean(), z.enum(['true', 'false'])])
          .transform((v) => v === true || v === 'true')
          .optional(),
      }),
    )
    .output(Job),
  storage: oc
    .route({ method: 'GET', path: '/storage', summary: 'Per store location: total/free space and bytes used by models', tags: ['models'] })
    .errors(commonErrors)
    .output(z.array(StorageLocationInfo)),
  /** Fires when the local model list changed (re-fetch `list`). */
  watch: oc.errors(commonErrors).output(eventIterator(z.object({ type: z.literal('changed'), at: z.string() }))),
}
