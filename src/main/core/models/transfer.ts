/**
 * The transfer engine. @huggingface/hub's downloadFile/snapshotDownload cannot resume, verify,
 * report progress, abort, retry, or fetch ranges in parallel (hf-hub-protocol.md §3.2), so blobs
 * are fetched here: GET resolve/<commit>/<path> with manual redirects (Authorization only on the
 * Hub's own origin), ranged chunks in parallel through the IoLimiter into `blobs/<etag>.incomplete`
 * with a sidecar of what is written, stall detection, retries with backoff honouring rate-limit
 * headers, then sha256 (LFS) or git-sha1 in the CPU pool before the atomic rename. Bodies come
 * over node:http (http-get.ts), not fetch, and go to disk with one writev per ≤ 1 MiB of socket
 * Buffers: fetch's web streams and the copy into a batch buffer cost more CPU than the transfer.
 */
import { chmod, open, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import type { Logger } from 'pino'
import type { CpuPool } from '../workers/cpu-pool'
import type { IoLimiter } from '../workers/io-limiter'
import { bodyText, discard, httpGet, type HttpResponse } from './http-get'
import { HubHttpError } from './hub-errors'
import { blobPath, guard, partialPath, partialStatePath, type RepoPaths } from './layout'
import { PartialState, planChunks } from './partial-state'
import { isTransient, RETRY_STATUS, retryDelay, wait, type RetryOptions } from './retry'

export interface BlobSpec {
  path: string
  size: number
  /** sha256 (LFS) or git blob sha1: the blob's file name and its checksum. */
  etag: string
  lfs: boolean
}

export interface TransferOptions {
  endpoint: string
  token?: string
  repo: string
  commit: string
  io: IoLimiter
  cpu: CpuPool
  retry: RetryOptions
  /** No body bytes for this long → abort the request and retry from where it stopped. */
  stallMs: number
  chunkSize: number
  logger: Logger
  signal: AbortSignal
  onBytes(delta: number): void
  onState?(state: 'running' | 'verifying' | 'done'): void
}

/** The disk filled up while writing; partials are kept. */
export class DiskFullError extends Error {}
class StallError extends Error {}
class RetryableStatus extends Error {
  constructor(readonly res: HttpResponse) {
    super(`HTTP ${res.status}`)
  }
}

const locks = new Map<string, Promise<void>>()
const WRITE_BATCH = 1024 * 1024
/** Buffers per writev (well under IOV_MAX). */
const WRITE_PARTS = 256

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
  await rm(partialStatePath(p, spec.etag), { force: true })
  o.onState?.('done')
}

/** Fetches what is missing of the partial, then checks it. false = checksum mismatch. */
async function downloadAndVerify(p: RepoPaths, spec: BlobSpec, o: TransferOptions): Promise<boolean> {
  const part = await guard(p, partialPath(p, spec.etag), 'write')
  const existing = await sizeOf(part)
  const state = await PartialState.load(await guard(p, partialStatePath(p, spec.etag), 'write'), spec.size, o.chunkSize, existing)
  let fd: FileHandle
  try {
    fd = await open(part, existing === undefined ? 'w+' : 'r+')
    if (existing !== undefined && existing > spec.size) await fd.truncate(spec.size)
    await state.flush()
  } catch (err) {
    throw diskError(err, o)
  }
  o.onBytes(state.bytesDone)
  o.onState?.('running')
  const locator = new Locator(spec, o)
  try {
    const chunks = planChunks(spec.size, o.chunkSize)
    const inner = new AbortController()
    const onAbort = (): void => inner.abort(o.signal.reason)
    o.signal.addEventListener('abort', onAbort)
    try {
      const runs = chunks.map((c, i) =>
        (state.rec.done[i] ?? 0) >= c.end - c.start
          ? Promise.resolve()
          : o.io
              .run(() => fetchChunk(i, c.start, c.end, state, fd, locator, o, inner.signal), inner.signal)
              .catch((err: unknown) => {
                inner.abort(err) // one fatal chunk stops the others
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
  } finally {
    await fd.close()
    await state.close().catch(() => undefined)
  }
  o.onState?.('verifying')
  const got = spec.lfs
    ? (await o.cpu.run({ kind: 'sha256File', path: part }, o.signal)).sha256
    : (await o.cpu.run({ kind: 'gitSha1File', path: part }, o.signal)).sha1
  return got === spec.etag
}

function diskError(err: unknown, o: TransferOptions): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT') return new DiskFullError(`no space left while writing ${o.repo}`)
  return err
}

/**
 * Where a file's bytes come from: resolve/<commit>/<path> on the Hub, following redirects by hand
 * so Authorization goes only to the Hub's origin; the CDN location of LFS files is reused for the
 * other chunks and dropped (re-resolved) when the CDN refuses it (expired signature).
 */
class Locator {
  private cdn?: string
  private readonly hubOrigin: string
  private readonly resolveUrl: string

  constructor(
    private readonly spec: BlobSpec,
    private readonly o: TransferOptions,
  ) {
    this.hubOrigin = new URL(o.endpoint).origin
    const path = spec.path.split('/').map(encodeURIComponent).join('/')
    this.resolveUrl = `${o.endpoint}/${o.repo}/resolve/${o.commit}/${path}`
  }

  async open(from: number, end: number, signal: AbortSignal): Promise<HttpResponse> {
    let url = this.cdn ?? this.resolveUrl
    for (let hop = 0; hop < 6; hop++) {
      const sameOrigin = new URL(url).origin === this.hubOrigin
      const headers: Record<string, string> = { 'accept-encoding': 'identity' }
      if (this.spec.size > 0) headers.range = `bytes=${from}-${end - 1}`
      if (sameOrigin && this.o.token) headers.authorization = `Bearer ${this.o.token}`
      const res = await httpGet(url, headers, signal)
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        discard(res)
        const linked = res.headers.get('x-linked-size')
        if (linked !== null && Number(linked) !== this.spec.size)
          throw new HubHttpError(
            409,
            'SizeMismatch',
            `${this.spec.path}: the Hub reports ${linked} bytes, the file list ${this.spec.size}`,
            url,
          )
        const next = new URL(res.headers.get('location') as string, url).href
        if (!/^https?:$/.test(new URL(next).protocol))
          throw new HubHttpError(502, undefined, `${this.spec.path}: the Hub redirected to a non-http(s) address ${next.slice(0, 60)}`, url)
        if (new URL(next).origin !== this.hubOrigin) this.cdn = next
        url = next
        continue
      }
      if (this.cdn && url === this.cdn && (res.status === 403 || res.status === 400 || res.status === 410)) {
        discard(res)
        this.cdn = undefined // signature expired or refused: resolve again on the next try
        throw new RetryableStatus(res)
      }
      return res
    }
    throw new HubHttpError(508, undefined, `too many redirects for ${this.spec.path}`, url)
  }
}

async function fetchChunk(
  i: number,
  start: number,
  end: number,
  state: PartialState,
  fd: FileHandle,
  locator: Locator,
  o: TransferOptions,
  signal: AbortSignal,
): Promise<void> {
  let attempt = 0
  const doneOf = (): number => state.rec.done[i] ?? 0
  while (doneOf() < end - start) {
    signal.throwIfAborted()
    const from = start + doneOf()
    const before = doneOf()
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
    const kill = (): void => {
      res?.body.destroy(ctl.signal.reason as Error)
    }
    ctl.signal.addEventListener('abort', kill)
    try {
      watch(o.stallMs)
      res = await locator.open(from, end, ctl.signal)
      lastData = Date.now()
      if (res.status === 416) {
        discard(res)
        throw new HubHttpError(416, undefined, `range ${from}-${end - 1} not satisfiable`, res.url)
      }
      if (RETRY_STATUS.has(res.status)) {
        discard(res)
        throw new RetryableStatus(res)
      }
      if (res.status !== 200 && res.status !== 206) throw await httpError(res)
      let skip = 0
      if (res.status === 200)
        skip = from // the server ignored Range: skip to where we are (§8.5)
      else {
        const cr = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get('content-range') ?? '')
        if (!cr || Number(cr[1]) !== from || Number(cr[3]) !== state.rec.size) {
          discard(res)
          throw new RetryableStatus(res) // wrong range: never append it
        }
      }
      // Coalesce network reads into few large writes (≤ 1 MiB or 250 ms of data): the socket's
      // Buffers are kept as they are and written with one writev (no copy).
      let parts: Buffer[] = []
      let pendingBytes = 0
      let lastFlush = Date.now()
      const flush = async (): Promise<void> => {
        if (pendingBytes === 0) return
        const bufs = parts
        const n = pendingBytes
        parts = []
        pendingBytes = 0
        lastFlush = Date.now()
        try {
          await writeAll(fd, bufs, n, start + doneOf())
        } catch (err) {
          throw diskError(err, o)
        }
        state.rec.done[i] = doneOf() + n
        o.onBytes(n)
        state.mark()
      }
      try {
        for await (const value of res.body as AsyncIterable<Buffer>) {
          lastData = Date.now()
          let buf = value
          if (skip > 0) {
            const s = Math.min(skip, buf.length)
            skip -= s
            buf = buf.subarray(s)
            if (buf.length === 0) continue
          }
          const left = end - start - doneOf() - pendingBytes
          if (buf.length > left) buf = buf.subarray(0, left)
          if (buf.length > 0) {
            parts.push(buf)
            pendingBytes += buf.length
          }
          if (pendingBytes >= WRITE_BATCH || parts.length >= WRITE_PARTS || lastData - lastFlush >= 250) await flush()
          if (doneOf() + pendingBytes >= end - start) break
        }
        await flush()
      } catch (err) {
        // keep what arrived before the failure (unless the disk is the failure)
        await flush().catch((fe: unknown) => {
          if (fe instanceof DiskFullError) throw fe
        })
        throw err
      } finally {
        res.body.destroy()
      }
      if (doneOf() < end - start) throw new Error(`body ended early at byte ${start + doneOf()} (truncated)`)
    } catch (err) {
      const reason = ctl.signal.aborted ? ctl.signal.reason : err
      if (signal.aborted) throw signal.reason
      if (reason instanceof DiskFullError || reason instanceof HubHttpError) throw reason
      if (!(reason instanceof StallError || reason instanceof RetryableStatus || isTransient(reason) || /truncated/.test(String(reason))))
        throw reason
      attempt = doneOf() > before ? 1 : attempt + 1
      if (attempt >= o.retry.attempts) throw new Error(`${o.repo}: giving up after ${attempt} tries: ${(reason as Error).message}`)
      const res = reason instanceof RetryableStatus ? reason.res : undefined
      const ms = retryDelay(attempt - 1, o.retry, res?.headers, res?.status)
      o.logger.info({ repo: o.repo, from: start + doneOf(), why: (reason as Error).message, waitMs: ms }, 'transfer retried')
      await wait(ms, signal)
    } finally {
      clearTimeout(stall)
      ctl.signal.removeEventListener('abort', kill)
      signal.removeEventListener('abort', onAbort)
    }
  }
}

/** Writes `bufs` (`n` bytes) at `position`, continuing after short writes. */
async function writeAll(fd: FileHandle, bufs: Buffer[], n: number, position: number): Promise<void> {
  let { bytesWritten } = await fd.writev(bufs, position)
  if (bytesWritten === n) return
  const rest = Buffer.concat(bufs, n)
  while (bytesWritten < n) bytesWritten += (await fd.write(rest, bytesWritten, n - bytesWritten, position + bytesWritten)).bytesWritten
}

async function httpError(res: HttpResponse): Promise<HubHttpError> {
  const text = await bodyText(res).catch(() => '')
  return new HubHttpError(
    res.status,
    res.headers.get('x-error-code') ?? undefined,
    res.headers.get('x-error-message') ?? (text.slice(0, 200) || `HTTP ${res.status}`),
    res.url,
  )
}
