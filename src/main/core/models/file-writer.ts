/**
 * Where downloaded bytes go: large pooled buffers that the socket reads into directly (http-get.ts),
 * written with one write per buffer (4 MiB), and hashed in file order as they are written — so a
 * file is verified without reading it back. Bytes written ahead of the hash (ranged streams of a
 * split file, or a partial from before a restart) are read back and hashed when the hash reaches
 * them. The sidecar (partial-state.ts) records what is on disk per chunk, at checkpoints.
 */
import type { FileHandle } from 'node:fs/promises'
import { ALIGN, giveBuffer, isAligned, takeBuffer } from './buffers'
import { makeHasher, type Hasher } from './hasher'
import type { BodySink } from './http-get'
import type { PartialState } from './partial-state'

/** A partially filled buffer is written after this long, so progress and the sidecar keep up on slow links. */
const FLUSH_MS = 250
/** End of the bytes on disk that are contiguous from 0, by the sidecar's per-chunk counts. */
export function contiguousEnd(size: number, chunkSize: number, done: number[]): number {
  let end = 0
  for (let i = 0; i < done.length; i++) {
    const len = Math.min(chunkSize, size - i * chunkSize)
    const d = done[i] ?? 0
    end = i * chunkSize + d
    if (d < len) break
  }
  return Math.min(end, size)
}

/** One file being downloaded: its descriptor, sidecar and running checksum. */
export class FileWriter {
  private hashed = 0
  private readonly hash: Hasher
  private catchingUp: Promise<void> | undefined
  private hashError: unknown

  constructor(
    readonly fd: FileHandle,
    readonly state: PartialState,
    private readonly spec: { size: number; lfs: boolean; path: string },
    private readonly onBytes: (delta: number) => void,
    /** The same file opened with O_DIRECT, for whole aligned buffers (none: every write goes through `fd`). */
    private direct?: FileHandle,
  ) {
    this.hash = makeHasher(spec)
  }

  /**
   * Writes `n` bytes of `buf` at `pos`: aligned whole blocks straight to the disk (O_DIRECT: no copy into the page
   * cache, which cost this machine 0.2–2.3 CPU s/GiB, and no other program's cached files pushed out by a model's
   * hundreds of GB), the rest (a file's tail, a partial flush) through the page cache. A file system that refuses
   * O_DIRECT writes (EINVAL) gets them all through the page cache.
   */
  async write(buf: Buffer, n: number, pos: number): Promise<void> {
    const d = this.direct
    if (d && pos % ALIGN === 0 && n % ALIGN === 0 && isAligned(buf)) {
      try {
        return await writeAll(d, buf, n, pos)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err
        this.direct = undefined
      }
    }
    await writeAll(this.fd, buf, n, pos)
  }

  /**
   * `n` bytes of `buf` are on disk at `pos`. When they are next in file order the hasher takes `buf`:
   * the promise gives back a buffer to reuse once they are hashed; else `buf` is the caller's again.
   */
  written(pos: number, buf: Buffer, n: number): Promise<Buffer> | undefined {
    let taken: Promise<Buffer> | undefined
    if (pos === this.hashed && !this.catchingUp) {
      taken = this.hash.update(buf, n)
      taken.catch((err: unknown) => (this.hashError ??= err))
      this.hashed += n
    }
    const { chunkSize, done } = this.state.rec
    for (let i = Math.floor(pos / chunkSize); i * chunkSize < pos + n; i++) {
      const start = i * chunkSize
      const len = Math.min(chunkSize, this.spec.size - start)
      done[i] = Math.max(done[i] ?? 0, Math.min(len, pos + n - start))
    }
    this.onBytes(n)
    this.state.mark()
    this.catchUp()
    return taken
  }

  /** Hashes bytes that are on disk but not hashed yet (in order), reading them back. */
  private catchUp(): void {
    if (this.catchingUp || this.hashed >= this.end()) return
    this.catchingUp = (async () => {
      let buf = takeBuffer()
      try {
        for (let end = this.end(); this.hashed < end; end = this.end()) {
          const want = Math.min(buf.length, end - this.hashed)
          const { bytesRead } = await this.fd.read(buf, 0, want, this.hashed)
          if (bytesRead <= 0) throw new Error(`${this.spec.path}: the partial file is shorter than its record`)
          buf = await this.hash.update(buf, bytesRead)
          this.hashed += bytesRead
        }
      } finally {
        if (buf.length > 0) giveBuffer(buf)
        this.catchingUp = undefined
      }
    })()
    this.catchingUp.catch(() => undefined)
  }

  private end(): number {
    return contiguousEnd(this.spec.size, this.state.rec.chunkSize, this.state.rec.done)
  }

  /** The checksum once every byte is hashed (hex). */
  async digest(): Promise<string> {
    for (;;) {
      if (this.catchingUp) await this.catchingUp
      else if (this.hashed < this.end()) this.catchUp()
      else break
    }
    if (this.hashed !== this.spec.size) throw new Error(`${this.spec.path}: ${this.hashed} of ${this.spec.size} bytes hashed`)
    const hex = await this.hash.digest()
    if (this.hashError !== undefined) throw this.hashError
    return hex
  }

  /** The download stopped: the hash is let go. */
  close(): void {
    this.hash.close()
  }
}

/**
 * One HTTP body into the file from `from` up to `end`: the socket reads into the current buffer;
 * full buffers are written in order (at most two queued, then reading pauses). `skip` bytes at the
 * start of the body are dropped (a server that ignored Range sent the whole file).
 */
export class RangeWriter implements BodySink {
  private cur = takeBuffer()
  private fill = 0
  private pos: number
  private queued = 0
  private tail: Promise<void> = Promise.resolve()
  private lastFlush = Date.now()
  private error: unknown
  /** File position up to which this body's bytes are on disk. */
  writtenTo: number
  resume?: () => void

  constructor(
    private readonly file: FileWriter,
    from: number,
    private readonly end: number,
    private skip: number,
    private readonly onData: () => void,
  ) {
    this.pos = from
    this.writtenTo = from
  }

  get done(): boolean {
    return this.pos + this.fill >= this.end || this.error !== undefined
  }

  get paused(): boolean {
    // one buffer filling, and up to three being written or hashed
    return this.queued >= 3
  }

  space(): Buffer | null {
    if (this.skip > 0 || this.done) return null
    return this.cur.subarray(this.fill, Math.min(this.cur.length, this.fill + this.end - this.pos))
  }

  filled(n: number): void {
    this.fill += n
    this.onData()
    this.maybeFlush()
  }

  copy(buf: Buffer): void {
    this.onData()
    let data = buf
    if (this.skip > 0) {
      const s = Math.min(this.skip, data.length)
      this.skip -= s
      data = data.subarray(s)
    }
    while (data.length > 0 && !this.done) {
      if (this.fill === this.cur.length) this.flush()
      const take = Math.min(data.length, this.cur.length - this.fill, this.end - this.pos - this.fill)
      data.copy(this.cur, this.fill, 0, take)
      this.fill += take
      data = data.subarray(take)
    }
    this.maybeFlush()
  }

  private maybeFlush(): void {
    if (this.fill === this.cur.length || this.pos + this.fill >= this.end) this.flush()
    else if (this.fill > 0 && this.queued === 0 && Date.now() - this.lastFlush >= FLUSH_MS) this.flush()
  }

  private flush(): void {
    if (this.fill === 0) return
    const buf = this.cur
    const n = this.fill
    const pos = this.pos
    this.cur = takeBuffer()
    this.fill = 0
    this.pos += n
    this.queued++
    this.lastFlush = Date.now()
    const release = (back: Buffer): void => {
      if (back.length > 0) giveBuffer(back)
      this.queued--
      if (!this.paused) this.resume?.()
    }
    this.tail = this.tail.then(async () => {
      let hashing: Promise<Buffer> | undefined
      try {
        if (this.error === undefined) {
          await this.file.write(buf, n, pos)
          hashing = this.file.written(pos, buf, n)
          this.writtenTo = pos + n
        }
      } catch (err) {
        this.error = err
      } finally {
        // the next write need not wait for this buffer's hash; the buffer counts until it is back
        if (hashing) void hashing.then(release, () => release(Buffer.alloc(0)))
        else release(buf)
      }
    })
  }

  /** Writes what is buffered and waits for the writes; rethrows a write failure (the raw fs error). */
  async finish(): Promise<void> {
    this.flush()
    await this.tail
    giveBuffer(this.cur)
    this.cur = Buffer.alloc(0)
    if (this.error !== undefined) throw this.error
  }
}

async function writeAll(fd: FileHandle, buf: Buffer, n: number, position: number): Promise<void> {
  let done = 0
  while (done < n) done += (await fd.write(buf, done, n - done, position + done)).bytesWritten
}
