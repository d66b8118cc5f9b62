import type { FlagInfo } from '../../../shared/contract/deployments'
import history from './data/vllm-serve-args-history.json'
import bundled from './data/vllm-serve-args.json'
import successors from './data/flag-successors.json'

/** The bundled copy of shared/reference/vllm-serve-args.json (upstream main 2026-05-19, between v0.20.2 and v0.21.0). */
export const BUNDLED_LABEL = 'vLLM flags of 2026-05-19 (between v0.20.2 and v0.21.0), shipped with InferAdmin'

interface RefFlag {
  flag: string
  type: string
  default?: unknown
  choices?: unknown[] | null
  help?: string
  aliases?: string[]
  negation?: string
  action?: string
  positional?: boolean
  group?: string
  deprecated?: boolean
  constraints?: { gt?: number; ge?: number; lt?: number; le?: number }
}

const TYPES = new Set<FlagInfo['type']>(['int', 'float', 'str', 'bool', 'json', 'list'])

function toFlagInfo(r: RefFlag): FlagInfo {
  const c = r.constraints ?? {}
  const type = (TYPES.has(r.type as FlagInfo['type']) ? r.type : 'str') as FlagInfo['type']
  return {
    flag: r.flag,
    aliases: r.aliases ?? [],
    type,
    action: type !== 'bool' ? 'value' : r.negation ? 'boolean_optional' : 'store_true',
    default: r.default ?? null,
    choices: r.choices ? r.choices.map(String).filter((x) => x !== 'None') : null,
    min: c.gt ?? c.ge ?? null,
    max: c.lt ?? c.le ?? null,
    minExclusive: c.gt !== undefined,
    group: r.group ?? 'serve',
    help: r.help ?? '',
    deprecated: !!r.deprecated || /^\[DEPRECATED\]/i.test(r.help ?? ''),
  }
}

let cache: FlagInfo[] | undefined
/** The bundled flag list (positional model_tag left out: the model is always passed as --model). */
export function bundledFlags(): FlagInfo[] {
  cache ??= (bundled as RefFlag[]).filter((r) => !r.positional && r.flag.startsWith('-')).map(toFlagInfo)
  return cache
}

let byName: Map<string, FlagInfo> | undefined
export function bundledFlag(flag: string): FlagInfo | undefined {
  byName ??= new Map(bundledFlags().map((f) => [f.flag, f]))
  return byName.get(flag)
}

interface HistoryDiff {
  from: string
  to: string
  removed: string[]
  newly_deprecated?: string[]
}

/** What became of a flag an image does not know: removed in which version, and what replaced it. */
export function flagFate(flag: string): { removedIn: string | null; successor: string | null } {
  const s = (successors as Record<string, string>)[flag] ?? null
  let removedIn: string | null = null
  for (const d of (history as { diffs: HistoryDiff[] }).diffs) {
    if (d.removed.includes(flag)) removedIn = d.to.replace(/^approx /, '≈').replace(/^post v0\.20\.2 \/ pre v0\.21$/, '≈v0.21.0')
  }
  return { removedIn, successor: s }
}

/** Every flag some known version had (for "known flag, but not in this image" messages). */
export function everKnown(flag: string): boolean {
  for (const snap of (history as { snapshots: { flags: Record<string, unknown> }[] }).snapshots) if (flag in snap.flags) return true
  return false
}
