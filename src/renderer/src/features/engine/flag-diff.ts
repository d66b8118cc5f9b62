import type { FlagDiff } from '@shared/contract/engine'

/** True when a version change changes nothing about flags (nothing added, removed, renamed, deprecated or refused). */
export function flagDiffIsEmpty(d: FlagDiff): boolean {
  return !d.added.length && !d.removed.length && !d.renamed.length && !d.deprecated.length && !d.rejected.length
}
