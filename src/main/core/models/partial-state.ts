import { readFile, rename, rm, writeFile } from 'node:fs/promises'

/** What a partial download has written: per chunk, bytes done from the chunk's start. */
export interface PartialRecord {
  v: 1
  size: number
  chunkSize: number
  done: number[]
}

export function planChunks(size: number, chunkSize: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = []
  for (let s = 0; s < size; s += chunkSize) out.push({ start: s, end: Math.min(size, s + chunkSize) })
  return out
}

/**
 * Sidecar `<etag>.incomplete.json` next to the partial file, written atomically and at most twice a
 * second. It only ever under-reports (it is written after the data), so resuming from it is safe.
 */
export class PartialState {
  private timer?: NodeJS.Timeout
  private writing: Promise<void> = Promise.resolve()
  private dirty = false

  constructor(
    private readonly file: string,
    readonly rec: PartialRecord,
  ) {}

  static async load(file: string, size: number, chunkSize: number, existingBytes: number | undefined): Promise<PartialState> {
    const chunks = planChunks(size, chunkSize)
    try {
      const rec = JSON.parse(await readFile(file, 'utf8')) as PartialRecord
      if (
        rec.v === 1 &&
        rec.size === size &&
        rec.chunkSize === chunkSize &&
        rec.done.length === chunks.length &&
        existingBytes !== undefined
      )
        return new PartialState(file, rec)
    } catch {
      // no sidecar or unreadable: fall through
    }
    // A partial without a sidecar (another client's `<etag>.incomplete`, written sequentially):
    // trust it as a prefix.
    const prefix = Math.min(existingBytes ?? 0, size)
    return new PartialState(file, {
      v: 1,
      size,
      chunkSize,
      done: chunks.map((c) => Math.max(0, Math.min(c.end - c.start, prefix - c.start))),
    })
  }

  get bytesDone(): number {
    return this.rec.done.reduce((a, b) => a + b, 0)
  }

  mark(): void {
    this.dirty = true
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      void this.flush().catch(() => undefined)
    }, 500)
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.dirty = false
    const data = JSON.stringify(this.rec)
    this.writing = this.writing.then(async () => {
      const tmp = `${this.file}.tmp`
      await rm(tmp, { force: true })
      await writeFile(tmp, data, { flag: 'wx' }) // a fresh file: never through a link left there
      await rename(tmp, this.file)
    })
    await this.writing
  }

  /** The file is complete: nothing more to record (the sidecar is removed with the rename). */
  async stop(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.dirty = false
    await this.writing.catch(() => undefined)
  }

  async close(): Promise<void> {
    if (this.dirty || this.timer) await this.flush()
    else await this.writing
  }
}

/**
 * The byte ranges still to fetch, as at most `streams` parallel requests: the missing part of each
 * chunk (per the sidecar), adjacent parts merged, then the longest split at chunk boundaries until
 * there are `streams` of them (or none can be split). Each range starts where its chunk's written
 * bytes end, so writing a range in order keeps every chunk's count a prefix.
 */
export function planRanges(size: number, chunkSize: number, done: number[], streams: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = []
  planChunks(size, chunkSize).forEach((c, i) => {
    const from = c.start + Math.min(c.end - c.start, done[i] ?? 0)
    if (from >= c.end) return
    const last = out[out.length - 1]
    if (last && last.end === from) last.end = c.end
    else out.push({ start: from, end: c.end })
  })
  while (out.length < streams) {
    // the longest range with a chunk boundary inside it, split at the boundary nearest its middle
    let best = -1
    let at = 0
    out.forEach((r, i) => {
      const mid = (r.start + r.end) / 2
      const cut = Math.round(mid / chunkSize) * chunkSize
      const ok = cut > r.start && cut < r.end
      const len = r.end - r.start
      if (ok && (best < 0 || len > (out[best] as { start: number; end: number }).end - (out[best] as { start: number }).start)) {
        best = i
        at = cut
      }
    })
    if (best < 0) break
    const r = out[best] as { start: number; end: number }
    out.splice(best, 1, { start: r.start, end: at }, { start: at, end: r.end })
  }
  return out
}

/**
 * Parallel requests per file for a pull over `connections` connections: one stream per file while
 * there are at least as many files as connections; otherwise the spare connections go to the
 * largest files (never a stream for less than one chunk).
 */
export function streamsPerFile(sizes: number[], connections: number, chunkSize: number): number[] {
  const out = sizes.map(() => 1)
  for (let spare = connections - sizes.length; spare > 0; spare--) {
    let best = -1
    sizes.forEach((s, i) => {
      const n = out[i] as number
      if (s / (n + 1) < chunkSize) return
      if (best < 0 || s / n > (sizes[best] as number) / (out[best] as number)) best = i
    })
    if (best < 0) break
    out[best] = (out[best] as number) + 1
  }
  return out
}
