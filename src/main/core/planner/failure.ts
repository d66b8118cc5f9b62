/**
 * What a start that failed for memory teaches (issue #16 point 8; pure): from vLLM's message, how much the fixed need
 * of that fingerprint must grow before the one retry. Messages (vllm-facts §3, gateway-facts §2.1, and the
 * simulated vLLM's copies in test/sim/vllm/memory.js and startup.js, deployments/log-analysis.ts):
 * - `Free memory on device … is less than desired GPU memory utilization …`: the footprint is not wrong; live free
 *   memory changed (other programs) — re-admit with fresh telemetry, raise nothing.
 * - `To serve at least one request … (X GiB KV cache is needed, which is larger than the available KV cache memory
 *   (Y GiB)`: the fixed need was underestimated by at least X − Y.
 * - `No available memory for the cache blocks`: nothing was left for the KV cache: raise by the KV that was planned.
 * - `CUDA out of memory. Tried to allocate X GiB`: raise by at least X.
 * Each raise gets a margin (default 10 % of the fixed need, at least 256 MiB).
 */
import { GiB } from './footprint-lines'

export type MemoryFailureKind = 'free-memory-changed' | 'kv-too-small' | 'no-kv-memory' | 'cuda-oom'

export interface MemoryFailure {
  kind: MemoryFailureKind
  /** Bytes the fixed need must grow by (before the margin); 0 for free-memory-changed. */
  shortBytes: number
}

const N = '(\\d+(?:\\.\\d+)?)'
const RE: [MemoryFailureKind, RegExp][] = [
  ['free-memory-changed', /Free memory on device \S+ \([\d.]+\/[\d.]+ GiB\) on startup is less than desired GPU memory utilization/],
  ['kv-too-small', new RegExp(`\\(${N} GiB KV cache is needed, which is larger than the available KV cache memory \\(${N} GiB\\)`)],
  ['no-kv-memory', /No available memory for the cache blocks/],
  ['cuda-oom', new RegExp(`CUDA out of memory\\. Tried to allocate ${N} ([GM])iB`)],
]

/** The memory failure in a failed start's log, or null when it failed for another reason. */
export function memoryFailure(log: string, o: { plannedKvBytes?: number } = {}): MemoryFailure | null {
  for (const [kind, re] of RE) {
    const m = re.exec(log)
    if (!m) continue
    if (kind === 'kv-too-small') return { kind, shortBytes: Math.max(0, Math.ceil((Number(m[1]) - Number(m[2])) * GiB)) }
    if (kind === 'cuda-oom') return { kind, shortBytes: Math.ceil(Number(m[1]) * (m[2] === 'G' ? GiB : 1024 ** 2)) }
    if (kind === 'no-kv-memory') return { kind, shortBytes: o.plannedKvBytes ?? 0 }
    return { kind, shortBytes: 0 }
  }
  return null
}

/** The fixed need to retry with: raised by the shortfall plus a margin; unchanged when the footprint was not at fault. */
export function raisedFixedBytes(
  fixedBytes: number,
  f: MemoryFailure,
  o: { marginFraction?: number; minMarginBytes?: number } = {},
): number {
  if (f.kind === 'free-memory-changed') return fixedBytes
  const margin = Math.max(o.minMarginBytes ?? 256 * 1024 ** 2, fixedBytes * (o.marginFraction ?? 0.1))
  return Math.ceil(fixedBytes + f.shortBytes + margin)
}
