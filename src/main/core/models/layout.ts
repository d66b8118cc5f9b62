import { lstat, mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { AppError } from '../errors'

/**
 * The Hugging Face hub cache layout (hf-hub-protocol.md §2): models--org--name/{blobs,snapshots,refs},
 * blobs named by etag (sha256 for LFS, git sha1 otherwise), relative symlinks, refs without newline.
 */
export function repoFolderName(repo: string): string {
  return `models--${repo.replace('/', '--')}`
}

/** "models--org--name" → "org/name" (undefined for other folders). */
export function repoFromFolder(folder: string): string | undefined {
  const m = /^models--([^-].*?)--(.+)$/.exec(folder)
  return m ? `${m[1]}/${m[2]}` : undefined
}

export interface RepoPaths {
  root: string
  blobs: string
  snapshots: string
  refs: string
}

export function repoPaths(location: string, repo: string): RepoPaths {
  const root = join(location, repoFolderName(repo))
  return { root, blobs: join(root, 'blobs'), snapshots: join(root, 'snapshots'), refs: join(root, 'refs') }
}

export const blobPath = (p: RepoPaths, etag: string): string => join(p.blobs, etag)
export const partialPath = (p: RepoPaths, etag: string): string => join(p.blobs, `${etag}.incomplete`)
/** Sidecar of a partial: which byte ranges are written (so a restart resumes). */
export const partialStatePath = (p: RepoPaths, etag: string): string => join(p.blobs, `${etag}.incomplete.json`)

const HEX = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/

/**
 * A file name from the Hub, checked so it cannot escape the snapshot directory (§8.19): no "..",
 * no absolute, drive or UNC paths, no backslashes, no empty segments.
 */
export function safeRepoPath(path: string): string {
  const bad =
    path.length === 0 ||
    path.startsWith('/') ||
    path.includes('\\') ||
    /^[A-Za-z]:/.test(path) ||
    path.includes('\0') ||
    path.split('/').some((s) => s === '' || s === '.' || s === '..')
  if (bad)
    throw new AppError('BAD_REQUEST', `The Hub listed a file named "${path}", which would be written outside the model store.`, {
      fix: 'This repository is not safe to download; report it to its owner.',
    })
  return path
}

export function checkEtag(etag: string): string {
  if (!HEX.test(etag))
    throw new AppError('BAD_REQUEST', `The Hub returned an invalid file hash "${etag}".`, { fix: 'Try again later; if it persists, report it.' })
  return etag
}

/** Writes refs/<ref> atomically, exactly the 40-hex commit with no newline. */
export async function writeRef(p: RepoPaths, ref: string, commit: string): Promise<void> {
  const file = join(p.refs, ...ref.split('/').map(safeRepoPath))
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, commit)
  await rename(tmp, file)
}

/** snapshots/<commit>/<path> → ../../blobs/<etag> (relative, one more ../ per sub-directory). */
export async function linkSnapshotFile(p: RepoPaths, commit: string, path: string, etag: string): Promise<void> {
  const link = join(p.snapshots, commit, ...safeRepoPath(path).split('/'))
  const target = relative(dirname(link), blobPath(p, etag)).split(sep).join('/')
  await mkdir(dirname(link), { recursive: true })
  try {
    const st = await lstat(link)
    if (st.isSymbolicLink() && (await readlink(link)) === target) return
    await rm(link, { force: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await symlink(target, link)
}
