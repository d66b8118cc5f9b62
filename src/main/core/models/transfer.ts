/**
 * The transfer engine. @huggingface/hub's downloadFile/snapshotDownload cannot resume, verify,
 * report progress, abort, retry, or fetch ranges in parallel (hf-hub-protocol.md §3.2), so blobs
 * are fetched here: GET resolve/<commit>/<path> with manual redirects (Authorization only on the
 * Hub's own origin, locator.ts), one stream per file — a big file split into ranged streams only
 * when there are fewer files than connections — through the IoLimiter into
 * `blobs/<etag>.incomplete` with a sidecar of what is written, stall detection, retries with
 * backoff honouring rate-limit headers. The socket reads straight into 4 MiB buffers (http-get.ts)
 * that are written whole and hashed in file order as they are written (file-writer.ts): sha256
 * (LFS) or git-sha1 is known when the last byte lands, before the atomic rename. Why: the profile
 * in the dl-speed commit (garbage from per-read Buffers, then reading every file back to hash it).
 */
import { constants } from 'node:fs'
import { chmod, open, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { FileWriter, RangeWriter } from './file-writer'
import type { HttpResponse } from './http-get'
import { HubHttpError } from './hub-errors'
import { blobPath, guard, partialPath, partialStatePath, type RepoPaths } from './layout'
import { httpError, Locator, RetryableStatus } from './locator'
import { PartialState, planRanges } from './partial-state'
import { isTransient, RETRY_STATUS, retryDelay, wait, type RetryOptions } from './retry'

export interface BlobSpec {
  path: string
  size: number
  /** sha256 (LFS) or git blob sha1: the blob's file name and its checksum. */
  etag: string
  lfs: boolean
}

/** What a download needs to know: plain data, so it can be handed to the transfer thread. */
export interface TransferRequest {
  endpoint: string
  token?: string
  repo: string
  commit: string
  retry: RetryOptions
  /** No body bytes for this long → abort the request and retry from where it stopped. */
  stallMs: number
  chunkSize: number
  /** Parallel ranged requests for this file (1 = one stream). */
  streams?: number
  /** Files at least this big are written with O_DIRECT where they can be (file-writer.ts); default 64 MiB. */
  directBytes?: number
}

export type BlobState = 'running' | 'verifying' | 'done'

/** The caller's side of one blob's download: cancel, progress. */
export interface TransferCalls {
  signal: AbortSignal
  onBytes(delta: number): void
  onState?(state: BlobState): void
}

/** Grants connections (the app's I/O limiter, or the transfer thread's stand-in for it). */
export interface SlotGate {
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>
}

/** The log lines a transfer writes (a pino logger, or the transfer thread's relay of one). */
export interface TransferLog {
  info(obj: Record<string, unknown>, msg: string): void
  warn(obj: Record<string, unknown>, msg: string): void
}

export interface TransferOptions extends TransferRequest, TransferCalls {
  io: SlotGate
  logger: TransferLog
}

/** Downloads blobs into a store: in this thread (fetchBlob) or on the transfer thread (transfer-thread.ts). */
export interface BlobFetcher {
  fetchBlob(p: RepoPaths, spec: BlobSpec, o: TransferRequest & TransferCalls): Promise<void>
}

/** The disk filled up while writing; partials are kept. */
export class DiskFullError extends Error {}
class StallError extends Error {}

const locks = new Map<string, Promise<void>>()

/** Downloads one blob into the store (no-op when it is there). One download per blob at a time. */
export async function fetchBlob(p: RepoPaths, spec: BlobSpec, o: TransferOptions): Promise<void> {
  const key = blobPath(p, spec.etag)
  for (let prev = locks.get(key); prev; prev = locks.get(key)) await prev.catch(() => undefined)
  const run = fetchBlobUnlocked(p, spec, o)
  locks.set(key, run)
  try {
    await run
  } finally {
    if (locks.get(key) === run) locks.delete(key)
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size
  } catch {
    return undefined
  }
}

async function fetchBlobUnlocked(p: RepoPaths, spec: BlobSpec, o: TransferOptions): Promise<void> {
  const final = await guard(p, blobPath(p, spec.etag), 'write')
  if ((await sizeOf(final)) === spec.size) {
    // a run killed between the rename and the sidecar's removal left the sidecar behind
    await removeSidecar(p, spec.etag)
    o.onBytes(spec.size)
    o.onState?.('done')
    return
  }
  for (let round = 0; ; round++) {
    const ok = await downloadAndVerify(p, spec, o)
    if (ok) break
    await rm(partialPath(p, spec.etag), { force: true })
    await rm(partialStatePath(p, spec.etag), { force: true })
    o.onBytes(-spec.size)
    if (round >= 1) throw new Error(`${spec.path}: the checksum did not match twice; the file on the Hub or the connection is corrupt.`)
    o.logger.warn({ repo: o.repo, file: spec.path }, 'checksum mismatch; fetching the file again')
  }
  await chmod(partialPath(p, spec.etag), 0o644)
  await rename(partialPath(p, spec.etag), final)
  await removeSidecar(p, spec.etag)
  o.onState?.('done')
}

/** The sidecar of a blob that is complete, and the temporary file of a sidecar write a kill cut short. */
async function removeSidecar(p: RepoPaths, etag: string): Promise<void> {
  const side = await guard(p, partialStatePath(p, etag), 'remove')
  await rm(side, { force: true })
  await rm(`${side}.tmp`, { force: true })
}

/** Fetches what is missing of the partial, hashing as it goes. false = checksum mismatch. */
async function downloadAndVerify(p: RepoPaths, spec: BlobSpec, o: TransferOptions): Promise<boolean> {
  const part = await guard(p, partialPath(p, spec.etag), 'write')
  const existing = await sizeOf(part)
  const state = await PartialState.load(await guard(p, partialStatePath(p, spec.etag), 'write'), spec.size, o.chunkSize, existing)
  let fd: FileHandle
  try {
    fd = await open(part, existing === undefined ? 'w+' : 'r+')
    if (existing !== undefined && existing > spec.size) await fd.truncate(spec.size)
  } catch (err) {
    throw diskError(err, o)
  }
  const ranges = planRanges(spec.size, o.chunkSize, state.rec.done, o.streams ?? 1)
  let complete = false
  try {
    // One stream writes in order, so a partial without a sidecar is a valid prefix: its sidecar can wait
    // for the first checkpoint (most small files finish before). Ranges ahead of the prefix need one now.
    if (ranges.length > 1 || existing !== undefined) await state.flush()
  } catch (err) {
    await fd.close()
    throw diskError(err, o)
  }
  o.onBytes(state.bytesDone)
  o.onState?.('running')
  const direct = spec.size >= (o.directBytes ?? DIRECT_BYTES) ? await openDirect(part) : undefined
  const file = new FileWriter(fd, state, spec, o.onBytes, direct)
  const locator = new Locator(spec, o)
  try {
    const inner = new AbortController()
    const onAbort = (): void => inner.abort(o.signal.reason)
    o.signal.addEventListener('abort', onAbort)
    try {
      const runs = ranges.map((r) =>
        o.io
          .run(() => fetchRange(r.start, r.end, file, locator, o, inner.signal), inner.signal)
          .catch((err: unknown) => {
            inner.abort(err) // one fatal range stops the others
            throw err
          }),
      )
      const results = await Promise.allSettled(runs)
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw o.signal.aborted ? o.signal.reason : failed.reason
    } finally {
      o.signal.removeEventListener('abort', onAbort)
    }
    if (spec.size === 0) await fd.truncate(0)
    o.onState?.('verifying')
    const ok = (await file.digest()) === spec.etag
    complete = true
    return ok
  } finally {
    file.close()
    await direct?.close()
    await fd.close()
    await (complete ? state.stop() : state.close()).catch(() => undefined)
  }
}

/** Below this, a file's few writes are cheap in the page cache, and its data may be read again soon. */
const DIRECT_BYTES = 64 * 1024 * 1024

/** The partial opened for O_DIRECT writes; none where the file system does not have them (tmpfs, some FUSE). */
async function openDirect(path: string): Promise<FileHandle | undefined> {
  if (process.platform !== 'linux') return undefined
  return open(path, constants.O_WRONLY | constants.O_DIRECT).catch(() => undefined)
}

function diskError(err: unknown, o: TransferOptions): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT') return new DiskFullError(`no space left while writing ${o.repo}`)
  return err
}

/** Bytes [start, end) of the file, retried from where each try stopped. */
async function fetchRange(
  start: number,
  end: number,
  file: FileWriter,
  locator: Locator,
  o: TransferOptions,
  signal: AbortSignal,
): Promise<void> {
  let attempt = 0
  let from = start
  while (from < end) {
    signal.throwIfAborted()
    const before = from
    const ctl = new AbortController()
    const onAbort = (): void => ctl.abort(signal.reason)
    signal.addEventListener('abort', onAbort)
    // Stall watch: one timer per stallMs window, not one per network read.
    let lastData = Date.now()
    let stall: NodeJS.Timeout | undefined
    const watch = (ms: number): void => {
      stall = setTimeout(() => {
        const idle = Date.now() - lastData
        if (idle >= o.stallMs) ctl.abort(new StallError(`no data for ${o.stallMs} ms`))
        else watch(o.stallMs - idle)
      }, ms)
    }
    let res: HttpResponse | undefined
    const kill = (): void => res?.destroy(ctl.signal.reason as Error)
    ctl.signal.addEventListener('abort', kill)
    try {
      watch(o.stallMs)
      res = await locator.open(from, end, ctl.signal)
      lastData = Date.now()
      if (res.status === 416) {
        res.destroy()
        throw new HubHttpError(416, undefined, `range ${from}-${end - 1} not satisfiable`, res.url)
      }
      if (RETRY_STATUS.has(res.status)) {
        res.destroy()
        throw new RetryableStatus(res)
      }
      if (res.status !== 200 && res.status !== 206) throw await httpError(res)
      let skip = 0
      if (res.status === 200)
        skip = from // the server ignored Range: skip to where we are (§8.5)
      else {
        const cr = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get('content-range') ?? '')
        if (!cr || Number(cr[1]) !== from || Number(cr[3]) !== file.state.rec.size) {
          res.destroy()
          throw new RetryableStatus(res) // wrong range: never append it
        }
      }
      const sink = new RangeWriter(file, from, end, skip, () => (lastData = Date.now()))
      let readErr: unknown
      try {
        await res.read(sink)
      } catch (err) {
        readErr = err
      }
      // keep what arrived before a failure (unless the disk is the failure)
      try {
        await sink.finish()
      } catch (err) {
        throw diskError(err, o)
      } finally {
        from = sink.writtenTo
      }
      if (readErr !== undefined) throw readErr
      if (from < end) throw new Error(`body ended early at byte ${from} (truncated)`)
    } catch (err) {
      const reason = ctl.signal.aborted ? ctl.signal.reason : err
      if (signal.aborted) throw signal.reason
      if (reason instanceof DiskFullError || reason instanceof HubHttpError) throw reason
      if (!(reason instanceof StallError || reason instanceof RetryableStatus || isTransient(reason) || /truncated/.test(String(reason))))
        throw reason
      attempt = from > before ? 1 : attempt + 1
      if (attempt >= o.retry.attempts) throw new Error(`${o.repo}: giving up after ${attempt} tries: ${(reason as Error).message}`)
      const res = reason instanceof RetryableStatus ? reason.res : undefined
      const ms = retryDelay(attempt - 1, o.retry, res?.headers, res?.status)
      o.logger.info({ repo: o.repo, from, why: (reason as Error).message, waitMs: ms }, 'transfer retried')
      await wait(ms, signal)
    } finally {
      clearTimeout(stall)
      ctl.signal.removeEventListener('abort', kill)
      signal.removeEventListener('abort', onAbort)
    }
  }
}
