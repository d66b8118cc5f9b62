import { lstat, readlink, realpath } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { AppError } from '../errors'

/**
 * The one guard every delete and write in a model store goes through: the target's real location
 * (symbolic links resolved, dangling ones too; for a path that does not exist yet, the nearest
 * existing ancestor's) must lie strictly inside the store location's real location. Whatever a
 * request, the Hub or a planted link says, nothing outside the store is created, changed or removed.
 *
 * - `write`: the target itself is followed (open, writeFile, mkdir, chmod write through a link).
 * - `remove` and `link`: the last component is not followed (rm, rmdir, rename and symlink act on
 *   the directory entry, not on what a link there points at).
 */
export type GuardOp = 'write' | 'remove' | 'link'

const VERB: Record<GuardOp, string> = { write: 'write', remove: 'remove', link: 'create a link at' }

/** Refused: the target is (or resolves to) a place outside the store. */
export class StoreEscapeError extends AppError {}

const MAX_HOPS = 40

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code
}

/** Real path of `path`, also when it (or a component) does not exist yet or is a dangling link. */
async function realOf(path: string, hops = 0): Promise<string> {
  if (hops > MAX_HOPS) throw Object.assign(new Error(`too many symbolic links at ${path}`), { code: 'ELOOP' })
  try {
    return await realpath(path)
  } catch (err) {
    if (errno(err) !== 'ENOENT' && errno(err) !== 'ENOTDIR') throw err
  }
  const st = await lstat(path).catch(() => undefined)
  // a dangling link: where it would create the file
  if (st?.isSymbolicLink()) return realOf(resolve(dirname(path), await readlink(path)), hops + 1)
  const parent = dirname(path)
  if (parent === path) return path
  return join(await realOf(parent, hops), basename(path))
}

function strictlyInside(base: string, target: string): boolean {
  const rel = relative(base, target)
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

function escape(location: string, target: string, real: string | undefined, op: GuardOp): StoreEscapeError {
  const where = real && real !== target ? ` (it resolves to ${real})` : ''
  const message = `Refused to ${VERB[op]} ${target}${where}: it is outside the model store ${location}.`
  return new StoreEscapeError('BAD_REQUEST', message, {
    fix: 'Nothing was changed. A name or a symbolic link in the store points outside it: remove that link, keep only model folders there.',
  })
}

/**
 * Resolves `target` and refuses it unless it lies inside `location` (see the module comment).
 * Returns the absolute target path (as given, not resolved: the operation runs on it).
 */
export async function guardStorePath(location: string, target: string, op: GuardOp): Promise<string> {
  const loc = resolve(location)
  const abs = resolve(target)
  if (!strictlyInside(loc, abs)) throw escape(location, abs, undefined, op)
  const base = await realOf(loc)
  const real = op === 'write' ? await realOf(abs) : join(await realOf(dirname(abs)), basename(abs))
  if (!strictlyInside(base, real)) throw escape(location, abs, real, op)
  return abs
}
