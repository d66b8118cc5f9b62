/**
 * What a definition asks of GPU memory (issue #16 point 3; pure): the policy (auto / fixed / not planned), the GPUs it
 * wants (pinned or "any N"), and for an auto start the bytes per GPU from footprint + KV budget, turned into this
 * start's --gpu-memory-utilization by utilizationForGpus.
 */
import type { DeploymentDefinition } from '../../../shared/contract/deployments'
import type { LearnedFootprint } from './learned'
import { kvBudgetBytes } from './utilization'

export type MemoryPolicy =
  | { mode: 'fixed'; utilization: number; why: string }
  | { mode: 'auto'; contextTokens: number | null; sequences: number | null }
  /** No GPU at all: nothing to plan, the start runs as configured. */
  | { mode: 'none'; why: string }

const words = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v == null ? [] : [String(v)]

/** A flag's value from the form arguments or the expert words (the latter win, as they come last on the command line). */
export function argValue(def: Pick<DeploymentDefinition, 'args' | 'extraArgs'>, flag: string): string | null {
  let out: string | null = null
  const own = def.args[flag]
  if (own !== undefined && own !== null && own !== false) out = words(own)[0] ?? null
  const argv = def.extraArgs.split(/\s+/).filter(Boolean)
  const under = flag.replace(/-/g, '_')
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!.replace(/_/g, '-')
    if (w === flag && argv[i + 1] !== undefined) out = argv[i + 1]!
    else if (w.startsWith(`${flag}=`)) out = argv[i]!.slice(argv[i]!.indexOf('=') + 1)
    else if (argv[i]!.startsWith(`${under}=`)) out = argv[i]!.slice(under.length + 1)
  }
  return out
}

/** The GPU count the definition needs: "any N", else its pinned GPUs (tensor parallel size = count). */
export function gpuCount(def: Pick<DeploymentDefinition, 'gpus' | 'placement'>): number {
  return def.placement?.gpus === 'any' ? def.placement.count : def.gpus.length
}

/** Which memory policy a definition follows (backward compatible: an explicit --gpu-memory-utilization is fixed). */
export function memoryPolicy(def: Pick<DeploymentDefinition, 'gpus' | 'placement' | 'memory' | 'args' | 'extraArgs'>): MemoryPolicy {
  if (gpuCount(def) === 0) return { mode: 'none', why: 'it has no GPU' }
  const explicit = argValue(def, '--gpu-memory-utilization')
  const u = explicit === null ? NaN : Number(explicit)
  if (explicit !== null && Number.isFinite(u) && u > 0 && u <= 1)
    return { mode: 'fixed', utilization: u, why: `--gpu-memory-utilization ${u} in its arguments` }
  if (def.memory?.mode === 'fixed' && def.memory.utilization !== undefined)
    return { mode: 'fixed', utilization: def.memory.utilization, why: `fixed utilization ${def.memory.utilization}` }
  if (argValue(def, '--kv-cache-memory-bytes') !== null) return { mode: 'none', why: 'it sets --kv-cache-memory-bytes itself' }
  return { mode: 'auto', contextTokens: def.memory?.contextTokens ?? null, sequences: def.memory?.sequences ?? null }
}

export interface AutoNeedInput {
  /** Weights + activation + non-torch + graphs per GPU (learned, else estimated). */
  fixedBytesPerGpu: number
  kvBytesPerToken: number
  /** --max-model-len, else the model's own (config.json); vLLM reserves at least one request of it. */
  maxModelLen: number | null
  contextTokens: number | null
  sequences: number | null
  defaults: { contextTokens: number; sequences: number }
}

export interface AutoNeed {
  bytesPerGpu: number
  kvBytes: number
  kvTokens: number
  contextTokens: number
  sequences: number
}

/** Bytes per GPU of an auto start: fixed + KV for context × sequences (at least one full max-model-len request). */
export function autoNeed(i: AutoNeedInput): AutoNeed {
  const maxLen = i.maxModelLen && i.maxModelLen > 0 ? i.maxModelLen : null
  const contextTokens = Math.min(
    i.contextTokens ?? Math.min(maxLen ?? i.defaults.contextTokens, i.defaults.contextTokens),
    maxLen ?? Infinity,
  )
  const sequences = i.sequences ?? i.defaults.sequences
  const wanted = kvBudgetBytes({ contextTokens, sequences, kvBytesPerToken: i.kvBytesPerToken })
  const oneFull = maxLen ? kvBudgetBytes({ contextTokens: maxLen, sequences: 1, kvBytesPerToken: i.kvBytesPerToken }) : 0
  const kvBytes = Math.max(wanted, oneFull)
  return {
    bytesPerGpu: Math.ceil(i.fixedBytesPerGpu) + kvBytes,
    kvBytes,
    kvTokens: Math.round(kvBytes / i.kvBytesPerToken),
    contextTokens,
    sequences,
  }
}

/**
 * Where an auto start's numbers come from, for the log: a footprint learned from successful loads, or else this is a
 * discovery load (planned from the estimate, or from one raised after memory failures) whose startup lines teach it.
 */
export function sourceOf(learned: LearnedFootprint | undefined): string {
  if (learned && learned.loads > 0) return `learned from ${learned.loads} load${learned.loads === 1 ? '' : 's'}:`
  if (learned && learned.failures > 0)
    return `discovery load (nothing learned yet), estimate raised after ${learned.failures} memory failure${learned.failures === 1 ? '' : 's'}:`
  return 'discovery load (nothing learned yet), estimated'
}

/** What one start needs of the GPUs, as the planner admits it. */
export interface StartNeed {
  bytesPerGpu: number
  count: number
  pinned: number[] | null
  fixedUtilization: number | null
  /** Auto: fixed + KV, for utilizationForGpus. */
  auto: { fixedBytes: number; kvBytes: number; detail: string } | null
}
