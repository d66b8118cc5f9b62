import { lstat, readdir, readFile, readlink, rm, rmdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { guard, repoPaths, type RepoPaths } from './layout'

/** Sum of regular-file sizes under `dir` (what deleting it frees; symlinks and folders aside). */
export async function regularFileBytes(dir: string): Promise<number> {
  let total = 0
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const full = join(dir, name)
    const st = await lstat(full).catch(() => undefined)
    if (!st) continue
    if (st.isDirectory()) total += await regularFileBytes(full)
    else if (st.isFile()) total += st.size
  }
  return total
}

/** Deletes a whole model folder; returns the bytes freed. */
export async function deleteModelFolder(location: string, repo: string): Promise<number> {
  const p = repoPaths(location, repo)
  await guard(p, p.root, 'remove')
  const bytes = await regularFileBytes(p.root)
  await rm(p.root, { recursive: true, force: true })
  return bytes
}

async function linkedBlobs(dir: string, out = new Set<string>()): Promise<Set<string>> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const full = join(dir, name)
    const st = await lstat(full).catch(() => undefined)
    if (!st) continue
    if (st.isDirectory()) await linkedBlobs(full, out)
    else if (st.isSymbolicLink()) out.add(basename(await readlink(full)))
  }
  return out
}

async function removeRefsTo(p: RepoPaths, dir: string, commit: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const full = join(dir, name)
    const st = await lstat(full).catch(() => undefined)
    if (st?.isDirectory()) {
      await removeRefsTo(p, full, commit)
      if ((await readdir(full)).length === 0) await rmdir(await guard(p, full, 'remove'))
    } else if (st?.isFile() && (await readFile(full, 'utf8')).trim() === commit) await rm(await guard(p, full, 'remove'))
  }
}

/**
 * Deletes one snapshot, the refs pointing at it and the blobs no other snapshot links to.
 * Returns the bytes freed.
 */
export async function deleteSnapshot(location: string, repo: string, commit: string): Promise<number> {
  const p = repoPaths(location, repo)
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`not a commit id: ${JSON.stringify(commit).slice(0, 60)}`)
  await rm(await guard(p, join(p.snapshots, commit), 'remove'), { recursive: true, force: true })
  await removeRefsTo(p, p.refs, commit)
  const keep = new Set<string>()
  for (const c of await readdir(p.snapshots).catch(() => [] as string[])) await linkedBlobs(join(p.snapshots, c), keep)
  let freed = 0
  for (const name of await readdir(p.blobs).catch(() => [] as string[])) {
    if (keep.has(name) || name.includes('.incomplete')) continue
    const full = join(p.blobs, name)
    const st = await lstat(full).catch(() => undefined)
    if (!st?.isFile()) continue
    await rm(await guard(p, full, 'remove'))
    freed += st.size
  }
  return freed
}
