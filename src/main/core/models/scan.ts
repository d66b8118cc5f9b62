import { lstat, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { repoFromFolder, repoPaths } from './layout'

export interface ScannedRevision {
  commit: string
  refs: string[]
  /** path → size (through the symlink) */
  files: Map<string, number>
  sizeBytes: number
}

export interface ScannedModel {
  repo: string
  location: string
  /** Sum of complete blobs. */
  blobBytes: number
  incompleteBytes: number
  /** blob name → size */
  blobs: Map<string, number>
  revisions: ScannedRevision[]
}

async function dirEntries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch {
    return []
  }
}

async function readRefs(dir: string, prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const name of await dirEntries(dir)) {
    if (name.endsWith('.tmp')) continue
    const full = join(dir, name)
    const st = await lstat(full).catch(() => undefined)
    if (!st) continue
    if (st.isDirectory()) for (const [k, v] of await readRefs(full, `${prefix}${name}/`)) out.set(k, v)
    else if (st.isFile()) out.set(`${prefix}${name}`, (await readFile(full, 'utf8')).trim())
  }
  return out
}

async function walkSnapshot(dir: string, prefix = '', out = new Map<string, number>()): Promise<Map<string, number>> {
  for (const name of await dirEntries(dir)) {
    const full = join(dir, name)
    const st = await lstat(full).catch(() => undefined)
    if (!st) continue
    if (st.isDirectory()) await walkSnapshot(full, `${prefix}${name}/`, out)
    else {
      // through the symlink; a dangling link counts as 0 bytes
      const target = await stat(full).catch(() => undefined)
      out.set(`${prefix}${name}`, target?.size ?? 0)
    }
  }
  return out
}

/** One model folder of a hub cache (read only; other tools' caches are scanned, never copied). */
export async function scanModel(location: string, repo: string): Promise<ScannedModel | undefined> {
  const p = repoPaths(location, repo)
  if (!(await stat(p.root).catch(() => undefined))?.isDirectory()) return undefined
  const blobs = new Map<string, number>()
  let incompleteBytes = 0
  for (const name of await dirEntries(p.blobs)) {
    const st = await stat(join(p.blobs, name)).catch(() => undefined)
    if (!st?.isFile()) continue
    if (name.includes('.incomplete')) incompleteBytes += Math.min(st.size, st.blocks * 512)
    else if (!name.endsWith('.tmp')) blobs.set(name, st.size)
  }
  const refs = await readRefs(p.refs)
  const revisions: ScannedRevision[] = []
  for (const commit of await dirEntries(p.snapshots)) {
    const files = await walkSnapshot(join(p.snapshots, commit))
    revisions.push({
      commit,
      refs: [...refs].filter(([, c]) => c === commit).map(([r]) => r),
      files,
      sizeBytes: [...files.values()].reduce((a, b) => a + b, 0),
    })
  }
  return { repo, location, blobBytes: [...blobs.values()].reduce((a, b) => a + b, 0), incompleteBytes, blobs, revisions }
}

/** Every model folder in a location. */
export async function scanLocation(location: string): Promise<ScannedModel[]> {
  const out: ScannedModel[] = []
  for (const folder of (await dirEntries(location)).sort()) {
    const repo = repoFromFolder(folder)
    if (!repo) continue
    const m = await scanModel(location, repo)
    if (m && (m.revisions.length > 0 || m.incompleteBytes > 0 || m.blobs.size > 0)) out.push(m)
  }
  return out
}
