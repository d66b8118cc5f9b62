import { realpathSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { storeLocationProblem, type StoreLocation } from '../../../shared/settings'

/** Real path of `path`, or of its nearest existing ancestor plus the rest (symbolic links resolved). */
function realpathNearest(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    const parent = dirname(path)
    return parent === path ? path : join(realpathNearest(parent), basename(path))
  }
}

/**
 * What the shared schema cannot see (it also runs in the renderer): the user's own home folder,
 * and a path that is a symbolic link to a refused folder. Keys are settings field paths.
 */
export function storeLocationErrors(stores: StoreLocation[], home: string): Record<string, string> {
  const out: Record<string, string> = {}
  const realHome = realpathNearest(resolve(home))
  stores.forEach((s, i) => {
    const problem = storeLocationProblem(s.path, home)
    if (problem) {
      out[`modelStores.${i}.path`] = problem
      return
    }
    const abs = resolve(s.path.replace(/^~(?=$|\/)/, home))
    const real = realpathNearest(abs)
    const linked = real === abs ? undefined : storeLocationProblem(real, realHome)
    if (linked) out[`modelStores.${i}.path`] = `${s.path} is a symbolic link to ${real}: ${linked}`
  })
  return out
}
