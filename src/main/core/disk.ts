import { statfs } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface DiskSpace {
  totalBytes: number
  freeBytes: number
}

/** statfs of a path or, when it does not exist yet, of its first existing parent. */
export async function diskSpace(path: string): Promise<DiskSpace> {
  let p = path
  for (;;) {
    try {
      const s = await statfs(p)
      return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize }
    } catch (err) {
      const parent = dirname(p)
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) throw err
      p = parent
    }
  }
}

/** Safety margin kept free: 2 % of the filesystem (at most 1 GiB) or 1 % of the download, whichever is larger. */
export function spaceMargin(needed: number, totalBytes: number): number {
  return Math.ceil(Math.max(needed * 0.01, Math.min(1024 ** 3, totalBytes * 0.02)))
}

export { formatBytes } from '../../shared/format'
