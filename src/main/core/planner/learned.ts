/**
 * What the planner knows of one memory fingerprint (issue #16): learned from vLLM's own startup lines over the
 * successful loads of that fingerprint (`fingerprint()`: model commit, image, memory-relevant args, GPU names),
 * raised after a start that failed for memory, and persisted in the data dir. The footprint store implements
 * `FootprintLookup`; admission reads it and falls back to an estimate (estimate.ts) when a key is unknown.
 */
import type { Footprint, LoadSeconds } from './footprint-lines'

export interface LearnedFootprint {
  /** `fingerprint()` of the start it was learned from. */
  key: string
  /** Weights + activation peak + non-torch + CUDA graphs, per GPU (the worst rank): what a start needs before KV. */
  fixedBytesPerGpu: number
  /** KV cache bytes per token per GPU; null until a start printed its KV lines. */
  kvBytesPerToken: number | null
  /** The KV cache the last successful load got, per GPU (bytes and tokens). */
  kvCacheBytes: number | null
  kvCacheTokens: number | null
  /** The container's memory per GPU after ready (telemetry attribution), the largest seen; null until measured. */
  measuredBytesPerGpu: number | null
  /** Mean seconds from start to ready over the learned loads; null until one finished. */
  loadSeconds: number | null
  /** The last load's seconds by phase. */
  phases: LoadSeconds | null
  /** Mean seconds a wake from sleep took; null until one happened. */
  wakeSeconds: number | null
  /** Wakes behind that mean (absent in records written before it existed: read as 1 when wakeSeconds is set). */
  wakes?: number
  /** What stays on each GPU while asleep (CUDA context, graph pools); null until a sleep was seen. */
  sleepKeptBytesPerGpu: number | null
  /** Successful loads it learned from (0: only an estimate or a failure raised it). */
  loads: number
  /** Memory failures that raised it. */
  failures: number
  /** ISO time of the last change. */
  updatedAt: string
  /** The raw footprint of the last successful load (for the planner log and the card). */
  last: Footprint | null
}

/** Read side, all admission needs. */
export interface FootprintLookup {
  get(key: string): LearnedFootprint | undefined
}
