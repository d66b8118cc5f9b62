/**
 * The deployment dialog's memory, placement and sleep fields (issue #16; pure): the form's strings from a definition,
 * and back to the spec's `placement`, `memory` and `sleepMode` with an error per field that names the problem and the
 * fix.
 */
import { MEMORY_DEFAULTS, type ArgValue, type DeploymentDefinition, type SleepMode } from '@shared/contract/deployments'

export interface MemoryForm {
  /** pinned: the GPUs ticked above; any: the planner picks `anyCount` GPUs at each start. */
  placement: 'pinned' | 'any'
  anyCount: string
  memoryMode: 'auto' | 'fixed'
  contextTokens: string
  sequences: string
  utilization: string
  sleepMode: SleepMode
}

export type MemorySpec = Pick<DeploymentDefinition, 'placement' | 'memory' | 'sleepMode'>
export type MemoryField = 'anyCount' | 'contextTokens' | 'sequences' | 'utilization'

export const SLEEP_HELP: Record<SleepMode, string> = {
  off: 'An idle on-demand model is stopped; the next request starts it again (a full load).',
  auto: 'An idle on-demand model sleeps instead of stopping and wakes in seconds. Needs the container published on loopback (the gateway on, or listen interface 127.0.0.1) and an image with --enable-sleep-mode.',
}

const str = (n: number | undefined): string => (n === undefined ? '' : String(n))

/** The form's fields for a definition (or a new one: pinned GPUs, auto memory with the defaults, sleep off). */
export function memoryForm(d?: Pick<DeploymentDefinition, 'placement' | 'memory' | 'sleepMode'> | null): MemoryForm {
  return {
    placement: d?.placement?.gpus === 'any' ? 'any' : 'pinned',
    anyCount: str(d?.placement?.count) || '1',
    memoryMode: d?.memory?.mode === 'fixed' ? 'fixed' : 'auto',
    contextTokens: str(d?.memory?.contextTokens),
    sequences: str(d?.memory?.sequences),
    utilization: str(d?.memory?.utilization),
    sleepMode: d?.sleepMode ?? 'off',
  }
}

/** What an empty context-tokens field means: min(--max-model-len, 8192) when the arguments set it. */
export function contextPlaceholder(args: Record<string, ArgValue>): string {
  const len = Number(args['--max-model-len'])
  const d = MEMORY_DEFAULTS.contextTokens
  return Number.isInteger(len) && len > 0 ? `${Math.min(len, d)} (default)` : `${d} or the max model len (default)`
}

export const SEQUENCES_PLACEHOLDER = `${MEMORY_DEFAULTS.sequences} (default)`

const whole = (t: string, min: number, max: number): number | null => {
  const n = Number(t.trim())
  return /^\d+$/.test(t.trim()) && n >= min && n <= max ? n : null
}

/**
 * The spec's placement, memory and sleep mode from the form, or the errors (field → what is wrong and what to do).
 * `gpuCount`: GPUs on this machine (null: unknown); `args`: the vLLM arguments (an explicit
 * --gpu-memory-utilization fixes the utilization, so auto memory cannot be asked for beside it).
 */
export function memorySpec(
  f: MemoryForm,
  o: { gpuCount: number | null; args: Record<string, ArgValue> },
): { ok: true; value: MemorySpec } | { ok: false; errors: Partial<Record<MemoryField, string>> } {
  const errors: Partial<Record<MemoryField, string>> = {}
  const value: MemorySpec = { sleepMode: f.sleepMode }
  if (f.placement === 'any') {
    const max = o.gpuCount ?? 64
    const n = whole(f.anyCount, 1, max)
    if (n === null)
      errors.anyCount = `Any N GPUs: a whole number of GPUs from 1 to ${max}${o.gpuCount === null ? '' : ' (the GPUs of this machine)'}.`
    else value.placement = { gpus: 'any', count: n }
  }
  const explicit = o.args['--gpu-memory-utilization']
  const hasExplicit = explicit !== undefined && explicit !== null && explicit !== false && explicit !== ''
  if (f.memoryMode === 'fixed') {
    const u = Number(f.utilization.trim())
    if (!f.utilization.trim() || !Number.isFinite(u) || u <= 0 || u > 1)
      errors.utilization = 'Fixed utilization: a fraction of each GPU’s memory above 0 and at most 1, e.g. 0.45 — or choose auto.'
    else value.memory = { mode: 'fixed', utilization: u }
  } else {
    const tokens = f.contextTokens.trim() ? whole(f.contextTokens, 16, 10_000_000) : undefined
    const seqs = f.sequences.trim() ? whole(f.sequences, 1, 4096) : undefined
    if (tokens === null) errors.contextTokens = 'Context tokens: a whole number from 16 to 10000000, or empty for the default.'
    if (seqs === null) errors.sequences = 'Sequences: a whole number from 1 to 4096, or empty for the default.'
    if (hasExplicit && (tokens || seqs))
      errors.contextTokens =
        'Auto memory is ignored while the arguments set --gpu-memory-utilization: remove that argument, or choose a fixed utilization.'
    if (tokens !== null && seqs !== null && (tokens !== undefined || seqs !== undefined))
      value.memory = { mode: 'auto', ...(tokens ? { contextTokens: tokens } : {}), ...(seqs ? { sequences: seqs } : {}) }
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value }
}
