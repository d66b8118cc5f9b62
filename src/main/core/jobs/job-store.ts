import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { Job } from '../../../shared/contract/jobs'

/** What is persisted per job: the public record plus the kind's parameters (to run it again). */
export interface StoredJob {
  job: Job
  params: unknown
}

/**
 * Jobs on disk: `<dataDir>/jobs/<id>.json`, written atomically (temp file + rename) so a crash never
 * leaves a half-written record. Writes for one job are serialised; the last one wins.
 */
export class JobStore {
  private readonly chains = new Map<string, Promise<void>>()

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  save(rec: StoredJob): Promise<void> {
    const id = rec.job.id
    const data = JSON.stringify(rec)
    const prev = this.chains.get(id) ?? Promise.resolve()
    const next = prev
      .then(async () => {
        await mkdir(this.dir, { recursive: true })
        const file = join(this.dir, `${id}.json`)
        const tmp = `${file}.${process.pid}.tmp`
        await writeFile(tmp, data)
        await rename(tmp, file)
      })
      .catch((err: unknown) => this.logger.warn({ err, job: id }, 'could not persist job'))
    this.chains.set(id, next)
    void next.then(() => {
      if (this.chains.get(id) === next) this.chains.delete(id)
    })
    return next
  }

  async remove(id: string): Promise<void> {
    await this.chains.get(id)
    await rm(join(this.dir, `${id}.json`), { force: true })
  }

  async loadAll(): Promise<StoredJob[]> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch {
      return []
    }
    const out: StoredJob[] = []
    for (const name of names) {
      if (!name.endsWith('.json')) continue
      const file = join(this.dir, name)
      try {
        const raw = JSON.parse(await readFile(file, 'utf8')) as { job?: unknown; params?: unknown }
        out.push({ job: Job.parse(raw.job), params: raw.params })
      } catch (err) {
        this.logger.warn({ err, file }, 'unreadable job record; removed')
        await rm(file, { force: true })
      }
    }
    // leftovers of interrupted writes
    for (const name of names) if (name.endsWith('.tmp')) await rm(join(this.dir, name), { force: true })
    return out
  }

  /** Waits for pending writes. */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()])
  }
}
