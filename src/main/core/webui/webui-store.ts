import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { SecretStore } from '../settings/secrets'

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

/** The record (`<dataDir>/webui.json`) and the two generated secrets: read by everyone, changed only through `save`. */
export class WebuiStore {
  private readonly file: string
  private current: WebuiRecord = { ...EMPTY }

  constructor(
    dataDir: string,
    private readonly secrets: Pick<SecretStore, 'get' | 'set'>,
  ) {
    this.file = join(dataDir, 'webui.json')
  }

  async load(): Promise<void> {
    try {
      this.current = { ...EMPTY, ...(JSON.parse(await readFile(this.file, 'utf8')) as Partial<WebuiRecord>) }
    } catch {
      this.current = { ...EMPTY }
    }
  }

  get record(): Readonly<WebuiRecord> {
    return this.current
  }

  async save(patch: Partial<WebuiRecord>): Promise<void> {
    this.current = { ...this.current, ...patch }
    await mkdir(join(this.file, '..'), { recursive: true })
    await writeFile(`${this.file}.tmp`, JSON.stringify(this.current, null, 2))
    await rename(`${this.file}.tmp`, this.file)
  }

  /** Generated once and kept: sessions and data stay valid across stop/start/update. */
  secret(name: 'webuiSecretKey' | 'webuiAdminPassword'): string {
    let v = this.secrets.get(name)
    if (!v) {
      v = randomBytes(32).toString('base64url')
      this.secrets.set(name, v)
    }
    return v
  }
}
