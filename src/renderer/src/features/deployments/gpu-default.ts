import type { GpusSnapshot } from '@shared/contract/gpu'

/**
 * GPUs a new deployment starts with: the one with the most free memory (lowest index on a tie), so the form's
 * defaults give the container a GPU; none when no telemetry is known (the user picks).
 */
export function defaultGpus(snapshot: GpusSnapshot | null): string[] {
  const known = (snapshot?.gpus ?? []).filter((g) => g.memoryFreeMiB !== null)
  const best = [...known].sort((a, b) => (b.memoryFreeMiB ?? 0) - (a.memoryFreeMiB ?? 0) || a.index - b.index)[0]
  return best ? [best.uuid] : []
}
