import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'

const Entries = z.array(z.object({ repo: z.string(), location: z.string(), commit: z.string() }))
export type SupersededEntry = z.infer<typeof Entries>[number]

/** Snapshots an update replaced, kept while in use: `<dataDir>/models-superseded.json` (atomic writes). */
export class SupersededList {
  constructor(private readonly file: string) {}

  async load(): Promise<SupersededEntry[]> {
    try {
      return Entries.parse(JSON.parse(await readFile(this.file, 'utf8')))
    } catch {
      return []
    }
  }

  async save(list: SupersededEntry[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true })
    const tmp = `${this.file}.tmp`
    await writeFile(tmp, JSON.stringify(list))
    await rename(tmp, this.file)
  }
}
