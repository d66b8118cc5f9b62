/**
 * What one start of a deployment needs per GPU (issue #16 point 3): its fixed need (learned, else estimated) + the KV
 * budget of its context × sequences target, or its fixed utilization; or 'pass' when the planner cannot plan it.
 */
import type { Deployment } from '../../../shared/contract/deployments'
import { GiB } from './footprint-lines'
import type { GpuView, Known } from './gpu-view'
import { autoNeed, gpuCount, memoryPolicy, sourceOf, type StartNeed } from './need'
import type { FootprintLookup } from './learned'
import type { EstimateSource } from './model-files'
import { requestedBytes } from './utilization'

const fmt = (b: number): string => `${(b / GiB).toFixed(2)} GiB`

export async function startNeed(
  d: {
    fingerprintOf: (d: Deployment, gpuNames: string[]) => Promise<string | null>
    footprints: FootprintLookup
    estimate: EstimateSource
  },
  dep: Deployment,
  v: GpuView,
  defaults: { contextTokens: number; sequences: number },
  note: (known: Known, loadSeconds: number | null) => void,
): Promise<StartNeed | { pass: string }> {
  const def = dep.definition
  const policy = memoryPolicy(def)
  if (policy.mode === 'none') return { pass: `started as configured: ${policy.why}` }
  const count = gpuCount(def)
  const pinned = def.placement?.gpus === 'any' ? null : def.gpus.map((u) => v.indexOf.get(u) ?? -1)
  if (pinned?.includes(-1)) return { pass: 'started as configured: a pinned GPU is not in the telemetry' }
  const totals = (pinned ?? v.gpus.map((g) => g.index)).map((i) => v.gpus.find((g) => g.index === i)?.totalBytes ?? 0)
  const maxTotal = Math.max(0, ...totals)
  const names = (pinned ?? v.gpus.slice(0, count).map((g) => g.index)).map((i) => v.gpus.find((g) => g.index === i)?.name ?? '')
  const key = await d.fingerprintOf(dep, names).catch(() => null)
  const learned = key ? d.footprints.get(key) : undefined
  note({ learned }, learned?.loadSeconds ?? null)
  // Also for a fixed utilization: a model that is not in the store cannot start, so nothing is evicted for it (the
  // start then fails with its own message).
  let est
  try {
    est = await d.estimate(def, { tp: def.tensorParallelSize ?? count })
  } catch (err) {
    return { pass: `started as configured: no estimate (${(err as Error).message})` }
  }
  note({ learned, estimateFixedBytesPerGpu: est.fixedBytesPerGpu }, learned?.loadSeconds ?? null)
  if (policy.mode === 'fixed')
    return { bytesPerGpu: requestedBytes(maxTotal, policy.utilization), count, pinned, fixedUtilization: policy.utilization, auto: null }
  const fixedBytes = learned?.fixedBytesPerGpu ?? est.fixedBytesPerGpu
  const kvPerToken = learned?.kvBytesPerToken ?? est.kvBytesPerToken
  const maxLen = Number(def.args['--max-model-len']) || est.maxPositionEmbeddings
  const a = autoNeed({
    fixedBytesPerGpu: fixedBytes,
    kvBytesPerToken: kvPerToken,
    maxModelLen: maxLen,
    contextTokens: policy.contextTokens,
    sequences: policy.sequences,
    defaults,
  })
  // Rounding the utilization up to its 0.001 step may ask for one step more than the need.
  const step = Math.ceil(maxTotal * 0.001)
  const detail = `${sourceOf(learned)} ${fmt(fixedBytes)} + KV ${fmt(a.kvBytes)} (${a.sequences} × ${a.contextTokens} tokens)`
  return { bytesPerGpu: a.bytesPerGpu + step, count, pinned, fixedUtilization: null, auto: { fixedBytes, kvBytes: a.kvBytes, detail } }
}
