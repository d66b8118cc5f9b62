import { lstat, mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { AppError } from '../errors'
import { guardStorePath, type GuardOp } from './store-guard'

/**
 * The Hugging Face hub cache layout (hf-hub-protocol.md §2): models--org--name/{blobs,snapshots,refs},
 * blobs named by etag (sha256 for LFS, git sha1 otherwise), relative symlinks, refs without newline.
 */
export function repoFolderName(repo: string): string {
  const parts = repo.split('/')
  // exactly one "/": the folder is one directory entry of the store, whatever the rest of the name is
  if (parts.length !== 2 || parts.some((s) => s === '' || s.includes('\0')))
    throw new AppError('BAD_REQUEST', `"${shown(repo)}" is not a model id of the form org/name.`, {
      fix: 'Use the Hub id "org/name", e.g. Qwen/Qwen3-0.6B.',
      fields: { repo: 'not org/name' },
    })
  return `models--${parts.join('--')}`
}

/** "models--org--name" → "org/name" (undefined for other folders). */
export function repoFromFolder(folder: string): string | undefined {
  const m = /^models--([^-].*?)--(.+)$/.exec(folder)
  return m ? `${m[1]}/${m[2]}` : undefined
}

export interface RepoPaths {
  /** The store location holding the model: nothing outside it is ever written or removed. */
  location: string
  root: string
  blobs: string
  snapshots: string
  refs: string
}

export function repoPaths(location: string, repo: string): RepoPaths {
  const root = join(location, repoFolderName(repo))
  return { location, root, blobs: join(root, 'blobs'), snapshots: join(root, 'snapshots'), refs: join(root, 'refs') }
}

/** The store guard for paths of this model's store location (store-guard.ts). */
export const guard = (p: RepoPaths, path: string, op: GuardOp): Promise<string> => guardStorePath(p.location, path, op)

const HEX = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/
const COMMIT = /^[0-9a-f]{40}$/
const MAX_PATH = 1024
const MAX_SEGMENT = 255
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** A value for a message: JSON-escaped (control characters visible) and cut short. */
export function shown(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v).slice(1, -1) : String(v)
  return s.length > 120 ? `${s.slice(0, 120)}…` : s
}

function blobName(etag: string): string {
  if (!HEX.test(etag)) throw new Error(`not a blob name: ${shown(etag)}`)
  return etag
}

export const blobPath = (p: RepoPaths, etag: string): string => join(p.blobs, blobName(etag))
export const partialPath = (p: RepoPaths, etag: string): string => join(p.blobs, `${blobName(etag)}.incomplete`)
/** Sidecar of a partial: which byte ranges are written (so a restart resumes). */
export const partialStatePath = (p: RepoPaths, etag: string): string => join(p.blobs, `${blobName(etag)}.incomplete.json`)

/**
 * A file name from the Hub, checked so it cannot escape the snapshot directory (§8.19): no "..",
 * no absolute, drive or UNC paths, no backslashes, no empty segments; and no control characters,
 * at most 1024 characters, at most 255 bytes a segment (what file systems take).
 */
export function safeRepoPath(path: string): string {
  const escapes =
    typeof path !== 'string' ||
    path.length === 0 ||
    path.startsWith('/') ||
    path.includes('\\') ||
    /^[A-Za-z]:/.test(path) ||
    path.includes('\0') ||
    path.split('/').some((s) => s === '' || s === '.' || s === '..')
  const why = escapes
    ? 'which would be written outside the model store'
    : CONTROL.test(path)
      ? 'which contains control characters'
      : path.length > MAX_PATH || path.split('/').some((s) => Buffer.byteLength(s) > MAX_SEGMENT)
        ? `which is longer than a file system takes (${MAX_PATH} characters, ${MAX_SEGMENT} bytes a folder or file name)`
        : undefined
  if (why)
    throw new AppError('BAD_REQUEST', `The Hub listed a file named "${shown(path)}", ${why}.`, {
      fix: 'This repository is not safe to download; report it to its owner. Nothing was written.',
    })
  return path
}

export function checkEtag(etag: string): string {
  if (typeof etag !== 'string' || !HEX.test(etag))
    throw new AppError('BAD_REQUEST', `The Hub returned an invalid file hash "${shown(etag)}".`, {
      fix: 'Try again later; if it persists, report it.',
    })
  return etag
}

function checkCommit(commit: string): string {
  if (!COMMIT.test(commit)) throw new Error(`not a commit id: ${shown(commit)}`)
  return commit
}

/** Writes refs/<ref> atomically, exactly the 40-hex commit with no newline. */
export async function writeRef(p: RepoPaths, ref: string, commit: string): Promise<void> {
  checkCommit(commit)
  const file = await guard(p, join(p.refs, ...ref.split('/').map(safeRepoPath)), 'remove')
  await mkdir(await guard(p, dirname(file), 'write'), { recursive: true })
  const tmp = await guard(p, `${file}.${process.pid}.tmp`, 'remove')
  await rm(tmp, { force: true })
  await writeFile(tmp, commit, { flag: 'wx' }) // a fresh file: never through a link left there
  await rename(tmp, file)
}

/** snapshots/<commit>/<path> → ../../blobs/<etag> (relative, one more ../ per sub-directory). */
export async function linkSnapshotFile(p: RepoPaths, commit: string, path: string, etag: string): Promise<void> {
  const link = await guard(p, join(p.snapshots, checkCommit(commit), ...safeRepoPath(path).split('/')), 'link')
  const target = relative(dirname(link), await guard(p, blobPath(p, etag), 'write'))
    .split(sep)
    .join('/')
  await mkdir(await guard(p, dirname(link), 'write'), { recursive: true })
  try {
    const st = await lstat(link)
    if (st.isSymbolicLink() && (await readlink(link)) === target) return
    await rm(link, { force: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await symlink(target, link)
}
