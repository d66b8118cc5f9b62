import { setMaxListeners } from 'node:events'
import { mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises'
import pLimit from 'p-limit'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { JobItem } from '../../../shared/contract/jobs'
import { RepoId, Revision } from '../../../shared/contract/models'
import { AppError } from '../errors'
import { JobPaused, type JobContext, type JobKindDef } from '../jobs/job-service'
import { fieldErrors, summarizeFields } from '../settings/issues'
import type { IoLimiter } from '../workers/io-limiter'
import { diskSpace, formatBytes, spaceMargin } from '../disk'
import type { HubClient } from './hub-client'
import { hubAppError } from './hub-errors'
import { blobPath, guard, linkSnapshotFile, partialPath, partialStatePath, repoPaths, safeRepoPath, writeRef } from './layout'
import { streamsPerFile } from './partial-state'
import type { RetryOptions } from './retry'
import { DiskFullError, type BlobFetcher } from './transfer'

const safePath = (p: string): boolean => {
  try {
    return safeRepoPath(p) === p
  } catch {
    return false
  }
}

export const PullParams = z.object({
  repo: RepoId,
  /** What the user asked for (branch, tag or commit); the ref written at the end. */
  revision: Revision,
  /** Resolved before the job started; everything is fetched by commit. */
  commit: z.string().regex(/^[0-9a-f]{40}$/, 'a 40-hex commit id'),
  location: z.string().min(1),
  files: z.array(
    z.object({
      path: z.string().refine(safePath, 'a file name that stays inside the snapshot'),
      size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      etag: z.string().regex(/^[0-9a-f]{40}$|^[0-9a-f]{64}$/, 'a sha1 or sha256 in hex'),
      lfs: z.boolean(),
    }),
  ),
  /** For updates: the snapshot this one replaces. */
  replaces: z
    .string()
    .regex(/^[0-9a-f]{40}$/, 'a 40-hex commit id')
    .optional(),
})
export type PullParams = z.infer<typeof PullParams>

export interface PullDeps {
  hub: HubClient
  token(): string | undefined
  io: IoLimiter
  /** Fetches each blob (on the transfer thread in the app). */
  transfers: BlobFetcher
  retry: RetryOptions
  stallMs: number
  chunkSize: number
  /** Files at least this big are written with O_DIRECT (default 64 MiB). */
  directBytes?: number
  logger: Logger
  /** The local list changed (a snapshot appeared, a ref moved). */
  changed(): void
  /** An update switched the ref away from `oldCommit`. */
  replaced(repo: string, location: string, oldCommit: string): Promise<void>
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

async function partialBytes(path: string): Promise<number> {
  const st = await stat(path).catch(() => undefined)
  return st ? Math.min(st.size, st.blocks * 512) : 0
}

/** Bytes still to download, and what is free, for the files of a pull. */
export async function spaceCheck(
  params: Pick<PullParams, 'repo' | 'location' | 'files'>,
): Promise<{ needed: number; free: number; total: number; margin: number }> {
  const p = repoPaths(params.location, params.repo)
  let needed = 0
  for (const f of params.files) {
    if (await exists(blobPath(p, f.etag))) continue
    needed += Math.max(0, f.size - (await partialBytes(partialPath(p, f.etag))))
  }
  const { freeBytes, totalBytes } = await diskSpace(params.location)
  return { needed, free: freeBytes, total: totalBytes, margin: spaceMargin(needed, totalBytes) }
}

export function diskShortMessage(
  repo: string,
  location: string,
  s: { needed: number; free: number; margin: number },
): { message: string; fix: string } {
  const short = s.needed + s.margin - s.free
  return {
    message: `Not enough disk space for ${repo} in ${location}: ${formatBytes(s.needed)} (${s.needed} bytes) still to download plus a ${formatBytes(s.margin)} margin, but only ${formatBytes(s.free)} free.`,
    fix: `Free at least ${formatBytes(short)} (${short} bytes) on that disk, or pick another store location, then resume.`,
  }
}

export function pullJobKind(kind: 'model.pull' | 'model.update', deps: PullDeps): JobKindDef<PullParams> {
  return {
    kind,
    params: PullParams,
    persistent: true,
    pausable: true,
    run: (ctx) => runPull(ctx, deps),
    cancelled: (params) => removePartials(params),
  }
}

async function runPull(ctx: JobContext<PullParams>, deps: PullDeps): Promise<{ commit: string; bytes: number; files: number }> {
  // checked again here: the parameters of a job resumed after a restart come from a file
  const checked = PullParams.safeParse(ctx.params)
  if (!checked.success)
    throw new AppError('BAD_REQUEST', `This download has invalid parameters: ${summarizeFields(fieldErrors(checked.error.issues))}.`, {
      fix: 'Nothing was written. Start the download again.',
    })
  const params = checked.data
  const p = repoPaths(params.location, params.repo)
  const space = await spaceCheck(params)
  if (space.needed + space.margin > space.free) {
    const m = diskShortMessage(params.repo, params.location, space)
    throw new JobPaused(m.message, m.fix)
  }
  await mkdir(await guard(p, p.blobs, 'write'), { recursive: true })
  await mkdir(await guard(p, p.snapshots, 'write'), { recursive: true })

  const total = params.files.reduce((a, f) => a + f.size, 0)
  const items: JobItem[] = params.files.map((f) => ({ name: f.path, bytesDone: 0, bytesTotal: f.size, state: 'pending' }))
  let done = 0
  const report = (): void =>
    ctx.progress({ bytesDone: done, bytesTotal: total, items: items.map((i) => ({ ...i })), message: `Downloading ${params.repo}` })
  report()

  const token = deps.token()
  const connections = deps.io.stats().size
  // more files open than connections: opening, renaming and linking a small file is latency, not bandwidth
  const limitFiles = pLimit(Math.max(2, connections * 2))
  const streams = streamsPerFile(
    params.files.map((f) => f.size),
    connections,
    deps.chunkSize,
  )
  const inner = new AbortController()
  setMaxListeners(0, inner.signal) // one listener per file in flight
  const onAbort = (): void => inner.abort(ctx.signal.reason)
  ctx.signal.addEventListener('abort', onAbort)
  try {
    const results = await Promise.allSettled(
      params.files.map((f, idx) =>
        limitFiles(() =>
          deps.transfers
            .fetchBlob(p, f, {
              endpoint: deps.hub.endpoint,
              token,
              repo: params.repo,
              commit: params.commit,
              retry: deps.retry,
              stallMs: deps.stallMs,
              chunkSize: deps.chunkSize,
              directBytes: deps.directBytes,
              streams: streams[idx],
              signal: inner.signal,
              onBytes: (d) => {
                done += d
                const it = items[idx]
                if (it) it.bytesDone += d
                report()
              },
              onState: (s) => {
                const it = items[idx]
                if (it) it.state = s
                report()
              },
            })
            .catch((err: unknown) => {
              const it = items[idx]
              if (it) it.state = 'failed'
              if (!inner.signal.aborted) inner.abort(err)
              throw err
            }),
        ),
      ),
    )
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (ctx.signal.aborted) throw ctx.signal.reason
    if (failed) {
      const err: unknown = inner.signal.reason ?? failed.reason
      if (err instanceof DiskFullError) {
        const s = await spaceCheck(params)
        const m = diskShortMessage(params.repo, params.location, { ...s, margin: s.margin })
        throw new JobPaused(`The disk filled up while downloading. ${m.message}`, `${m.fix} The partial files are kept.`)
      }
      throw hubAppError(err, { endpoint: deps.hub.endpoint, repo: params.repo, revision: params.revision, hasToken: Boolean(token) })
    }
  } finally {
    ctx.signal.removeEventListener('abort', onAbort)
  }

  // blobs → verified → symlinks → ref last (§2.3.6): a ref never points at an incomplete snapshot
  ctx.progress({ message: 'Linking the snapshot' })
  const limitLinks = pLimit(8)
  await Promise.all(params.files.map((f) => limitLinks(() => linkSnapshotFile(p, params.commit, f.path, f.etag))))
  if (params.revision !== params.commit) await writeRef(p, params.revision, params.commit)
  deps.changed()
  if (params.replaces && params.replaces !== params.commit) await deps.replaced(params.repo, params.location, params.replaces)
  return { commit: params.commit, bytes: total, files: params.files.length }
}

/** After a cancel: partial files go; a model folder left with nothing in it goes too. */
async function removePartials(params: PullParams): Promise<void> {
  const p = repoPaths(params.location, params.repo)
  for (const f of params.files) {
    await rm(await guard(p, partialPath(p, f.etag), 'remove'), { force: true })
    await rm(await guard(p, partialStatePath(p, f.etag), 'remove'), { force: true })
  }
  for (const dir of [p.blobs, p.snapshots, p.refs, p.root]) {
    const entries = await readdir(dir).catch(() => undefined)
    if (entries && entries.length === 0) await rmdir(await guard(p, dir, 'remove')).catch(() => undefined)
  }
}
