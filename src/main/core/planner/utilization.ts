/**
 * A start's memory arguments from a learned (or estimated) footprint and a KV budget (issue #16 point 3; pure).
 *
 * vLLM takes `requested = ceil(total × --gpu-memory-utilization)` at start, refuses when live free memory is below
 * it, and gives the KV cache what is left of `requested` after weights, activations, non-torch and (v0.21+) the
 * CUDA-graph estimate (vllm-facts §3). So the utilization of this start is (fixed + KV) / total, rounded *up* to the
 * step. With `--kv-cache-memory-bytes` the KV size is exact but the free-memory check still runs against
 * total × utilization, so it is paired with a small utilization; on that path graphs are not subtracted
 * (gateway-facts §0.1, §2.1).
 */
import { GiB } from './footprint-lines'

const fmt = (b: number): string => `${(b / GiB).toFixed(2)} GiB`

/** vLLM's own arithmetic: the bytes a start with this utilization asks for (ceil of the product, as Python does). */
export function requestedBytes(totalBytes: number, utilization: number): number {
  return Math.ceil(totalBytes * utilization)
}

export interface KvBudgetInput {
  /** Tokens per sequence (the context target, ≤ max model len). */
  contextTokens: number
  /** Sequences that should fit at once (≥ 1: vLLM reserves at least one full request). */
  sequences: number
  kvBytesPerToken: number
  /** vLLM's KV block (default 16 tokens). */
  blockSize?: number
}

/** KV cache bytes per GPU for `sequences × contextTokens`, whole blocks per sequence. */
export function kvBudgetBytes(i: KvBudgetInput): number {
  const block = i.blockSize ?? 16
  for (const [k, v] of Object.entries({
    contextTokens: i.contextTokens,
    sequences: i.sequences,
    kvBytesPerToken: i.kvBytesPerToken,
    block,
  }))
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`kvBudgetBytes: ${k} must be a positive number, got ${v}`)
  const tokensPerSeq = Math.ceil(i.contextTokens / block) * block
  return Math.ceil(tokensPerSeq * Math.ceil(i.sequences) * i.kvBytesPerToken)
}

export interface UtilizationInput {
  totalBytes: number
  /** Non-KV bytes inside the fraction: weights + activation peak + non-torch (+ graphs on v0.21+). */
  fixedBytes: number
  kvBytes: number
  /** Graph pool allocated outside the fraction (≤ v0.20): not in the utilization but in the footprint. */
  graphsOutsideBytes?: number
  /** Extra safety on top of the fixed need (default 0). */
  marginBytes?: number
  /** Rounding step of the utilization (default 0.001). */
  step?: number
}

export interface UtilizationPlan {
  utilization: number
  /** ceil(total × utilization): what vLLM checks against live free memory and holds. */
  requestedBytes: number
  /** The KV cache vLLM will size: requested − fixed (≥ kvBytes). */
  expectedKvBytes: number
  /** What the GPU loses to this start: requested + graphs outside the fraction. */
  footprintBytes: number
}

/** The smallest utilization (on the step grid) whose request covers fixed + KV; throws when more than the GPU. */
export function utilizationFor(i: UtilizationInput): UtilizationPlan {
  const step = i.step ?? 0.001
  const need = i.fixedBytes + i.kvBytes + (i.marginBytes ?? 0)
  if (!(i.totalBytes > 0)) throw new Error(`utilizationFor: totalBytes must be positive, got ${i.totalBytes}`)
  if (!(i.fixedBytes >= 0 && i.kvBytes >= 0)) throw new Error(`utilizationFor: fixedBytes and kvBytes must be ≥ 0`)
  const grid = Math.round(1 / step)
  let k = Math.max(1, Math.ceil((need / i.totalBytes) * grid))
  while (requestedBytes(i.totalBytes, k / grid) < need) k++
  const utilization = k / grid
  if (utilization > 1)
    throw new Error(
      `The model needs ${fmt(need)} per GPU (${fmt(i.fixedBytes)} fixed + ${fmt(i.kvBytes)} KV cache) but the GPU has ${fmt(i.totalBytes)}: ` +
        'lower the context or the number of sequences, use an fp8 KV cache, or give it more GPUs.',
    )
  const requested = requestedBytes(i.totalBytes, utilization)
  return {
    utilization,
    requestedBytes: requested,
    expectedKvBytes: requested - i.fixedBytes,
    footprintBytes: requested + (i.graphsOutsideBytes ?? 0),
  }
}

/** One utilization for all ranks of a TP start (vLLM has one flag): the largest any GPU needs. */
export function utilizationForGpus(totals: readonly number[], i: Omit<UtilizationInput, 'totalBytes'>): UtilizationPlan[] {
  if (totals.length === 0) throw new Error('utilizationForGpus: name at least one GPU')
  const u = Math.max(...totals.map((t) => utilizationFor({ ...i, totalBytes: t }).utilization))
  return totals.map((t) => {
    const requested = requestedBytes(t, u)
    return {
      utilization: u,
      requestedBytes: requested,
      expectedKvBytes: requested - i.fixedBytes,
      footprintBytes: requested + (i.graphsOutsideBytes ?? 0),
    }
  })
}

/** Whether vLLM's start check passes: live free ≥ ceil(total × utilization). */
export function passesFreeCheck(o: { totalBytes: number; freeBytes: number; utilization: number }): boolean {
  return o.freeBytes >= requestedBytes(o.totalBytes, o.utilization)
}

export interface KvBytesPlan {
  /** `--kv-cache-memory-bytes` (per rank). */
  kvCacheMemoryBytes: number
  /** The small `--gpu-memory-utilization` that only has to pass the free-memory check. */
  utilization: number
  /** What the GPU loses: fixed + KV + graphs (not subtracted on this path). */
  footprintBytes: number
}

/**
 * The `--kv-cache-memory-bytes` alternative: exact KV, paired with a small utilization (default 0.05) that passes
 * vLLM's free check. The caller admits the start on `footprintBytes`, not on the utilization.
 */
export function kvBytesPlan(i: { fixedBytes: number; kvBytes: number; graphBytes?: number; smallUtilization?: number }): KvBytesPlan {
  const u = i.smallUtilization ?? 0.05
  if (!(u > 0 && u <= 1)) throw new Error(`kvBytesPlan: smallUtilization must be in (0, 1], got ${u}`)
  if (!(i.kvBytes > 0)) throw new Error(`kvBytesPlan: kvBytes must be positive, got ${i.kvBytes}`)
  const kv = Math.ceil(i.kvBytes)
  return { kvCacheMemoryBytes: kv, utilization: u, footprintBytes: i.fixedBytes + kv + (i.graphBytes ?? 0) }
}

/** The vLLM arguments of either plan. */
export function startMemoryArgs(p: UtilizationPlan | KvBytesPlan): string[] {
  const u = ['--gpu-memory-utilization', String(p.utilization)]
  return 'kvCacheMemoryBytes' in p ? ['--kv-cache-memory-bytes', String(p.kvCacheMemoryBytes), ...u] : u
}
