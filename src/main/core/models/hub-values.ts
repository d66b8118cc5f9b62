import { AppError } from '../errors'
import { safeRepoPath, shown } from './layout'

/**
 * Values from the Hub are untrusted: a misbehaving or hostile endpoint (Settings → Hub endpoint,
 * HF_ENDPOINT) could answer anything. Each value is checked here, where HubClient receives it,
 * before anything uses it: commit ids, file paths, hashes and sizes. A bad value fails the call
 * with a message naming it; nothing is written.
 */

const COMMIT = /^[0-9a-f]{40}$/
const SHA1 = /^[0-9a-f]{40}$/
const SHA256 = /^[0-9a-f]{64}$/
const REPO = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/

export interface HubCtx {
  endpoint: string
  repo: string
}

function invalid(ctx: HubCtx, what: string): AppError {
  return new AppError('BAD_REQUEST', `The Hub at ${ctx.endpoint} answered ${what} for ${ctx.repo}.`, {
    fix: 'Nothing was written. Check the Hub endpoint in Settings (or HF_ENDPOINT): it must be a Hugging Face Hub; if so, try again later.',
  })
}

/** A commit id: 40 lowercase hex digits. */
export function hubCommit(value: unknown, ctx: HubCtx): string {
  if (typeof value !== 'string' || !COMMIT.test(value))
    throw invalid(ctx, `an invalid commit id "${shown(value)}" (expected 40 hex digits)`)
  return value
}

/** A size in bytes: a non-negative safe integer. */
export function hubSize(value: unknown, ctx: HubCtx, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw invalid(ctx, `an invalid size ${shown(value)} for "${shown(path)}" (expected a whole number of bytes)`)
  return value
}

export interface HubTreeEntry {
  path: string
  size: number
  oid: string
  lfsSha256?: string
}

/**
 * One file of a tree listing: its path is a safe relative name (layout.ts safeRepoPath), its git
 * oid 40 hex digits, its LFS oid (when LFS) 64 hex digits, its size a whole number of bytes.
 */
export function hubTreeEntry(
  e: { path?: unknown; size?: unknown; oid?: unknown; lfs?: { oid?: unknown; size?: unknown } },
  ctx: HubCtx,
): HubTreeEntry {
  if (typeof e.path !== 'string') throw invalid(ctx, `a file without a name (${shown(e.path)})`)
  safeRepoPath(e.path)
  const size = hubSize(e.size, ctx, e.path)
  if (typeof e.oid !== 'string' || !SHA1.test(e.oid))
    throw invalid(ctx, `an invalid file hash "${shown(e.oid)}" for "${shown(e.path)}" (expected 40 hex digits)`)
  if (e.lfs === undefined || e.lfs === null) return { path: e.path, size, oid: e.oid }
  const sha = e.lfs.oid
  if (typeof sha !== 'string' || !SHA256.test(sha))
    throw invalid(ctx, `an invalid LFS file hash "${shown(sha)}" for "${shown(e.path)}" (expected 64 hex digits)`)
  if (e.lfs.size !== undefined && hubSize(e.lfs.size, ctx, e.path) !== size)
    throw invalid(ctx, `two sizes for "${shown(e.path)}" (${size} and ${shown(e.lfs.size)})`)
  return { path: e.path, size, oid: e.oid, lfsSha256: sha }
}

/**
 * The listing as a whole: each path once, and no path both a file and a folder of other files
 * ("a" and "a/b"): a snapshot could not hold both, and a link at "a" would be written through.
 */
export function checkHubTree(files: HubTreeEntry[], ctx: HubCtx): HubTreeEntry[] {
  const seen = new Set<string>()
  for (const f of files) {
    if (seen.has(f.path)) throw invalid(ctx, `the file "${shown(f.path)}" twice`)
    seen.add(f.path)
  }
  for (const f of files) {
    const parts = f.path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      if (seen.has(dir)) throw invalid(ctx, `"${shown(dir)}" both as a file and as a folder (of "${shown(f.path)}")`)
    }
  }
  return files
}

/** A repository id of a search result ("org/name"); results with others are left out. */
export function isHubRepoId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 200 && REPO.test(value) && !value.includes('..') && !value.includes('--')
}
