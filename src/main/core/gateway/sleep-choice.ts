/** How an idle deployment is unloaded. */
export type SleepChoice = 'level1' | 'level2' | 'stop'

/** Host RAM left free beside a level-1 backup (pinned pages cannot be swapped; the OS and the app need room). */
export const HOST_RAM_MARGIN_BYTES = 2 * 1024 ** 3

/**
 * Stop or sleep an idle deployment, and how deep (pure; gateway-facts §1.3, §1.5). Level 1 (weights copied to pinned
 * host RAM, the fastest wake) only when the host has the weights' bytes free beyond a margin; else level 2 (weights
 * discarded, re-read from disk on wake: still far cheaper than a cold start, which also compiles and captures graphs).
 * Stop when the deployment did not opt in or its image lacks sleep mode. Unknown weights (no startup line seen) go to
 * level 2: nothing is pinned that the host may not have.
 */
export function sleepChoice(o: {
  hostFreeBytes: number
  /** Summed over tensor-parallel ranks (each pins its own shard); null when unknown. */
  weightsBytes: number | null
  sleepEnabled: boolean
  imageSupports: boolean
}): SleepChoice {
  if (!o.sleepEnabled || !o.imageSupports) return 'stop'
  if (o.weightsBytes !== null && o.weightsBytes > 0 && o.hostFreeBytes - HOST_RAM_MARGIN_BYTES >= o.weightsBytes) return 'level1'
  return 'level2'
}
