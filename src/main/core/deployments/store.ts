import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { z } from 'zod'
import { DeploymentDefinition, PhaseTiming } from '../../../shared/contract/deployments'

const DefinitionsFile = z.object({ version: z.literal(1), definitions: z.array(z.unknown()) })
const TimingsFile = z.record(z.string(), z.array(PhaseTiming))
/** Per deployment, the id of the container the app last stopped (Docker does not record who stopped it). */
const StoppedFile = z.record(z.string(), z.string())
export type PhaseTimings = z.infer<typeof PhaseTiming>[]

/** Atomic JSON write: temp file in the same directory, then rename. */
async function writeAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, file)
}

/**
 * Deployment definitions (dataDir/deployments/definitions.json) and the phase timings of each
 * definition's last successful load (timings.json, for the ETA), and the container each was last stopped in by the
 * app (stopped.json). Writes are serialised and atomic.
 */
export class DeploymentStore {
  private readonly dir: string
  private chain: Promise<void> = Promise.resolve()

  constructor(
    dataDir: string,
    private readonly logger: Logger,
  ) {
    this.dir = join(dataDir, 'deployments')
  }

  private file(name: string): string {
    return join(this.dir, name)
  }

  async loadDefinitions(): Promise<DeploymentDefinition[]> {
    let raw: string
    try {
      raw = await readFile(this.file('definitions.json'), 'utf8')
    } catch {
      return []
    }
    try {
      const parsed = DefinitionsFile.parse(JSON.parse(raw))
      const out: DeploymentDefinition[] = []
      for (const d of parsed.definitions) {
        const r = DeploymentDefinition.safeParse(d)
        if (r.success) out.push(r.data)
        else this.logger.warn({ issues: r.error.issues.slice(0, 3) }, 'skipping an invalid deployment definition')
      }
      return out
    } catch (err) {
      const backup = this.file(`definitions.corrupt-${Date.now()}.json`)
      await rename(this.file('definitions.json'), backup).catch(() => undefined)
      this.logger.error({ err, backup }, 'deployment definitions unreadable; moved aside')
      return []
    }
  }

  loadTimings(): Promise<Record<string, PhaseTimings>> {
    return this.readRecord('timings.json', TimingsFile)
  }

  loadStopped(): Promise<Record<string, string>> {
    return this.readRecord('stopped.json', StoppedFile)
  }

  saveStopped(s: Record<string, string>): Promise<void> {
    return this.writeRecord('stopped.json', s)
  }

  /** A JSON file of this directory as `schema` says; empty when missing or unreadable. */
  private async readRecord<T>(name: string, schema: z.ZodType<Record<string, T>>): Promise<Record<string, T>> {
    try {
      return schema.parse(JSON.parse(await readFile(this.file(name), 'utf8')))
    } catch {
      return {}
    }
  }

  private writeRecord(name: string, value: Record<string, unknown>): Promise<void> {
    const snapshot = structuredClone(value)
    return this.queue(async () => {
      await mkdir(this.dir, { recursive: true })
      await writeAtomic(this.file(name), snapshot)
    })
  }

  private queue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn)
    this.chain = next.catch((err: unknown) => this.logger.error({ err }, 'saving deployments failed'))
    return next
  }

  saveDefinitions(defs: DeploymentDefinition[]): Promise<void> {
    const snapshot = structuredClone(defs)
    return this.queue(async () => {
      await mkdir(this.dir, { recursive: true })
      await writeAtomic(this.file('definitions.json'), { version: 1, definitions: snapshot })
    })
  }

  saveTimings(t: Record<string, PhaseTimings>): Promise<void> {
    return this.writeRecord('timings.json', t)
  }

  flush(): Promise<void> {
    return this.chain
  }
}
