/**
 * The footprint learner's decisions (issue #16 points 1 and 8; pure): the fingerprint of a deployment's start, the
 * memory vLLM requested at that start (needed to read the fixed need from INFO lines), what the GPU telemetry says the
 * container holds, whether a failed start is retried, and what the deployment card shows.
 */
import type { DeploymentFootprint } from '../../../shared/contract/deployments'
import type { GpusSnapshot } from '../../../shared/contract/gpu'
import type { MemoryFailure } from './failure'
import { fingerprint, type FingerprintArg } from './fingerprint'
import type { LearnedFootprint } from './learned'

const MiB = 1024 ** 2

/** The parts of a deployment definition a fingerprint reads. */
export interface StartDefinition {
  image: string
  imageDigest?: string
  gpus: readonly string[]
  tensorParallelSize?: number
  args: Readonly<Record<string, FingerprintArg>>
  /** Expert arguments already split into words. */
  argv: readonly string[]
}

/** GPU names of the GPUs a start uses (every GPU when it names none); null while the telemetry does not know them. */
export function gpuNamesOf(gpus: readonly string[], snapshot: GpusSnapshot): string[] | null {
  const used = gpus.length ? gpus.map((u) => snapshot.gpus.find((g) => g.uuid === u)) : snapshot.gpus
  if (!used.length || used.some((g) => !g)) return null
  return used.map((g) => g!.name)
}

/** The fingerprint of a start, or null when the commit or the GPU names are not known. */
export function startKey(def: StartDefinition, commit: string | null, snapshot: GpusSnapshot): string | null {
  return startKeyFor(def, commit, gpuNamesOf(def.gpus, snapshot))
}

/**
 * The same key from the GPU names the start runs on (the planner knows them before the start): the learner and
 * admission must agree on it, or what was learned is never found. TP = the definition's, else one rank per GPU.
 */
export function startKeyFor(def: StartDefinition, commit: string | null, names: readonly string[] | null): string | null {
  if (!commit || !names?.length) return null
  const tp = def.tensorParallelSize ?? Math.max(1, def.gpus.length || names.length)
  try {
    return fingerprint({
      modelCommit: commit,
      image: def.image,
      imageDigest: def.imageDigest ?? null,
      args: { ...def.args, '--tensor-parallel-size': tp },
      argv: def.argv,
      gpuNames: names,
    })
  } catch {
    return null
  }
}

/** The --gpu-memory-utilization of a start: its own, else the image's default (0.92 from v0.21, which profiles graphs). */
export function utilizationOf(
  args: Readonly<Record<string, FingerprintArg>>,
  argv: readonly string[],
  graphsInBudget: boolean | null,
): number {
  let v: unknown = args['--gpu-memory-utilization']
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!.replace(/_/g, '-')
    if (w === '--gpu-memory-utilization') v = argv[i + 1]
    else if (w.startsWith('--gpu-memory-utilization=')) v = w.slice(w.indexOf('=') + 1)
  }
  const u = Number(Array.isArray(v) ? v[0] : v)
  if (v !== undefined && v !== null && v !== '' && u > 0 && u <= 1) return u
  return graphsInBudget ? 0.92 : 0.9
}

/**
 * What vLLM requested on the start's first GPU: ceil(torch total × utilization), torch's total being the GPU's total
 * less what the driver reserves (vllm-facts §3, §5). Null when the telemetry does not know the GPU.
 */
export function requestedBytesOf(gpus: readonly string[], snapshot: GpusSnapshot, utilization: number): number | null {
  const g = gpus.length ? snapshot.gpus.find((x) => x.uuid === gpus[0]) : snapshot.gpus[0]
  if (!g?.memoryTotalMiB) return null
  return Math.ceil((g.memoryTotalMiB - (g.memory.reservedMiB ?? 0)) * MiB * utilization)
}

/** The container's memory on its busiest GPU (bytes), from the attribution sampled after `after` (ISO); null if none. */
export function measuredBytesPerGpu(snapshot: GpusSnapshot, containerId: string, after: string | null): number | null {
  let most: number | null = null
  for (const g of snapshot.gpus) {
    if (after && !(g.memory.appsAt && g.memory.appsAt > after)) continue
    for (const c of g.memory.containers) if (c.containerId === containerId) most = Math.max(most ?? 0, c.usedMiB * MiB)
  }
  return most
}

/**
 * A start that failed: retried once per start request when the failure is for memory. The note goes to the job log
 * and the deployment's diagnosis.
 */
export function retryAfterFailure(failure: MemoryFailure | null, attempt: number): { retry: boolean; note: string | null } {
  if (!failure) return { retry: false, note: null }
  const why =
    failure.kind === 'free-memory-changed'
      ? 'other programs held GPU memory at the start'
      : `vLLM ran out of memory (${failure.kind}); the learned footprint was raised`
  if (attempt > 0) return { retry: false, note: `Retried once already after a memory failure (${why}); not retrying again.` }
  return { retry: true, note: `Memory failure: ${why}. Retrying once with the new numbers.` }
}

/** The deployment card's footprint from what the store knows. */
export function footprintView(f: LearnedFootprint | undefined): DeploymentFootprint | null {
  if (!f) return null
  return {
    needsBytesPerGpu: f.fixedBytesPerGpu,
    kvBytesPerToken: f.kvBytesPerToken,
    loads: f.loads,
    failures: f.failures,
    measuredBytesPerGpu: f.measuredBytesPerGpu,
    source: f.loads > 0 ? 'learned' : 'estimate',
  }
}
