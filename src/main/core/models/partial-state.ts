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

  async close(): Promise<void> {
    if (this.dirty || this.timer) await this.flush()
    else await this.writing
  }
}
