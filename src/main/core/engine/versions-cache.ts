import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { RawTag } from './tags'

/** The nightly refresh time "HH:MM" (local). */
export function parseRefreshTime(s: string): { h: number; m: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s.trim())
  return m ? { h: Number(m[1]), m: Number(m[2]) } : { h: 3, m: 0 }
}

/** The most recent scheduled time at or before `now` (local time). */
export function lastSlot(now: Date, time: string): Date {
  const { h, m } = parseRefreshTime(time)
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate(), h, m, 0, 0)
  if (d.getTime() > now.getTime()) d.setDate(d.getDate() - 1)
  return d
}

/** The next scheduled time strictly after `now` (local time). */
export function nextSlot(now: Date, time: string): Date {
  const d = lastSlot(now, time)
  d.setDate(d.getDate() + 1)
  return d
}

/** The app was not running (or offline) at the last scheduled time: refresh once at start. */
export function missedRun(fetchedAt: string | null, lastAttemptAt: string | null, now: Date, time: string): boolean {
  const slot = lastSlot(now, time).getTime()
  const seen = Math.max(fetchedAt ? Date.parse(fetchedAt) : 0, lastAttemptAt ? Date.parse(lastAttemptAt) : 0)
  return seen < slot
}

export interface CachedList {
  repository: string
  source: 'dockerhub' | 'registry'
  endpoint: string
  fetchedAt: string
  tags: RawTag[]
  newestRelease: string | null
  newestDigest: string | null
}

export interface CacheFile {
  lists: Record<string, CachedList>
  /** Last refresh attempt per repository (successful or not), for the missed-run check. */
  attempts: Record<string, string>
  /** Last error per repository, shown with the cached list. */
  errors: Record<string, { message: string; fix: string; at: string }>
}

/** dataDir/engine/tags.json, written atomically. */
export class TagCache {
  private data: CacheFile = { lists: {}, attempts: {}, errors: {} }
  private writing: Promise<void> = Promise.resolve()

  constructor(private readonly file: string) {}

  async load(): Promise<void> {
    try {
      const d = JSON.parse(await readFile(this.file, 'utf8')) as Partial<CacheFile>
      this.data = { lists: d.lists ?? {}, attempts: d.attempts ?? {}, errors: d.errors ?? {} }
    } catch {
      /* no cache yet, or unreadable: start empty */
    }
  }

  get(repository: string): CachedList | undefined {
    return this.data.lists[repository]
  }

  attempt(repository: string): string | null {
    return this.data.attempts[repository] ?? null
  }

  error(repository: string): { message: string; fix: string; at: string } | undefined {
    return this.data.errors[repository]
  }

  async save(
    repository: string,
    change: { list?: CachedList; attemptAt: string; error?: { message: string; fix: string; at: string } | null },
  ): Promise<void> {
    if (change.list) this.data.lists[repository] = change.list
    this.data.attempts[repository] = change.attemptAt
    if (change.error) this.data.errors[repository] = change.error
    else delete this.data.errors[repository]
    const text = JSON.stringify(this.data)
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(this.file), { recursive: true })
      const tmp = `${this.file}.${process.pid}.tmp`
      await writeFile(tmp, text)
      await rename(tmp, this.file)
    })
    await this.writing
  }
}
