/**
 * How the vLLM argument form orders 300+ flags: the essentials a person sets for most deployments first (with
 * plain names), then the rest in groups named for people rather than vLLM's config classes. Pure.
 */
import type { FlagInfo } from '@shared/contract/deployments'
import { MANAGED_FLAGS } from '@shared/managed-flags'

export interface Essential {
  flag: string
  /** What a person calls it. */
  label: string
}

/**
 * In the order the form shows them; a flag the image lacks is left out. Tensor parallel size is essential too,
 * but the definition sets it (its own field beside the GPUs), like the port: see MANAGED_FLAGS.
 */
export const ESSENTIALS: readonly Essential[] = [
  { flag: '--max-model-len', label: 'Context length (tokens)' },
  { flag: '--gpu-memory-utilization', label: 'GPU memory utilization (0–1)' },
  { flag: '--dtype', label: 'Weights data type' },
  { flag: '--quantization', label: 'Quantization' },
  { flag: '--max-num-seqs', label: 'Max concurrent sequences' },
  { flag: '--served-model-name', label: 'Served model name' },
  { flag: '--enable-prefix-caching', label: 'Prefix caching' },
  { flag: '--trust-remote-code', label: 'Trust remote code' },
  { flag: '--enable-auto-tool-choice', label: 'Tool calling' },
  { flag: '--tool-call-parser', label: 'Tool call parser' },
  { flag: '--reasoning-parser', label: 'Reasoning parser' },
]
const ESSENTIAL_BY_FLAG = new Map(ESSENTIALS.map((e) => [e.flag, e]))
const MANAGED = new Set(MANAGED_FLAGS)
const managed = (f: FlagInfo): boolean => MANAGED.has(f.flag) || f.aliases.some((a) => MANAGED.has(a))

/** vLLM's argument groups (its config classes, or argparse sections) → a name for people, in display order. */
export const GROUP_TITLES: readonly (readonly [string, string])[] = [
  ['ModelConfig', 'Model'],
  ['CacheConfig', 'Memory and KV cache'],
  ['SchedulerConfig', 'Batching and scheduling'],
  ['ParallelConfig', 'Multi-GPU and parallelism'],
  ['Frontend', 'API server'],
  ['StructuredOutputsConfig', 'Structured output and reasoning'],
  ['DecodingConfig', 'Structured output and reasoning'],
  ['LoadConfig', 'Loading weights'],
  ['LoRAConfig', 'LoRA adapters'],
  ['MultiModalConfig', 'Images, audio and video input'],
  ['SpeculativeConfig', 'Speculative decoding'],
  ['OffloadConfig', 'CPU offload'],
  ['ObservabilityConfig', 'Logging, metrics and tracing'],
  ['CompilationConfig', 'Compilation and CUDA graphs'],
  ['AttentionConfig', 'Attention'],
  ['KernelConfig', 'Kernels'],
  ['MambaConfig', 'Mamba and hybrid models'],
  ['PoolerConfig', 'Embeddings and pooling'],
  ['TokenizerPoolConfig', 'Tokenizer'],
  ['DeviceConfig', 'Device'],
  ['VllmConfig', 'Engine (advanced)'],
  ['serve', 'Server process'],
]
const TITLE = new Map(GROUP_TITLES)
const ORDER = new Map(GROUP_TITLES.map(([g], i) => [g, i]))

/** A name for a group vLLM may add later: "EPLBConfig" → "EPLB", "FooBarConfig" → "Foo bar". */
export function groupTitle(group: string): string {
  const known = TITLE.get(group)
  if (known) return known
  const base = group.replace(/Config$/, '').trim()
  if (!base || base === 'options') return 'Other'
  const words = base
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_-]+/)
  return words.map((w, i) => (i === 0 || /^[A-Z0-9]+$/.test(w) ? w : w.toLowerCase())).join(' ')
}

export interface FlagGroup {
  /** vLLM's own group id (kept for tests and data attributes). */
  id: string
  title: string
  flags: FlagInfo[]
}

export interface FlagLayout {
  essentials: (FlagInfo & { label: string })[]
  groups: FlagGroup[]
}

function matches(f: FlagInfo, q: string, label: string | undefined): boolean {
  if (!q) return true
  return (
    f.flag.includes(q) ||
    f.aliases.some((a) => a.includes(q)) ||
    f.help.toLowerCase().includes(q) ||
    (label?.toLowerCase().includes(q) ?? false)
  )
}

/**
 * The form's layout for a catalog and a search query (name, alias, help or the plain label; case-insensitive):
 * the essentials in their fixed order, then every other flag in human-named groups (known groups in a fixed
 * order, new ones after them by title). A positional argument (no leading --) is not a form field, nor a flag
 * the definition sets itself (model, port, host, tensor parallel size).
 */
export function layoutFlags(flags: readonly FlagInfo[], query = ''): FlagLayout {
  const q = query.trim().toLowerCase()
  const byFlag = new Map(flags.map((f) => [f.flag, f]))
  const essentials = ESSENTIALS.flatMap((e) => {
    const f = byFlag.get(e.flag)
    return f && !managed(f) && matches(f, q, e.label) ? [{ ...f, label: e.label }] : []
  })
  const groups = new Map<string, FlagGroup>()
  for (const f of flags) {
    if (!f.flag.startsWith('--') || managed(f) || ESSENTIAL_BY_FLAG.has(f.flag) || !matches(f, q, undefined)) continue
    const title = groupTitle(f.group)
    // Groups that read the same to a person are one group.
    const g = groups.get(title) ?? { id: f.group, title, flags: [] }
    g.flags.push(f)
    groups.set(title, g)
  }
  const rank = (g: FlagGroup): number => ORDER.get(g.id) ?? GROUP_TITLES.length
  return { essentials, groups: [...groups.values()].sort((a, b) => rank(a) - rank(b) || a.title.localeCompare(b.title)) }
}
