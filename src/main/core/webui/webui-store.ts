import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** What InferAdmin remembers about its Open WebUI (the container and volume themselves live in Docker). */
export interface WebuiRecord {
  tag: string | null
  port: number | null
  /** Base URLs InferAdmin wrote into Open WebUI (connections the user added by hand are kept). */
  managedUrls: string[]
  /** Deployed but not synced yet: the first sync replaces Open WebUI's whole list. */
  fresh: boolean
  /**
   * Id (label) of the data volume known to hold accounts (InferAdmin's admin): only then may Open WebUI be
   * published without the loopback-only first start (sign-up can no longer make a stranger its admin).
   */
  accountsVolume: string | null
}

const EMPTY: WebuiRecord = { tag: null, port: null, managedUrls: [], fresh: false, accountsVolume: null }

export class WebuiStore {
  private readonly file: string
  constructor(dataDir: string) {
    this.file = join(dataDir, 'webui.json')
  }

  async load(): Promise<WebuiRecord> {
    try {
      return { ...EMPTY, ...(JSON.parse(await readFile(this.file, 'utf8')) as Partial<WebuiRecord>) }
    } catch {
      return { ...EMPTY }
    }
  }

  async save(r: WebuiRecord): Promise<void> {
    await mkdir(join(this.file, '..'), { recursive: true })
    await writeFile(`${this.file}.tmp`, JSON.stringify(r, null, 2))
    await rename(`${this.file}.tmp`, this.file)
  }
}
