import { z } from 'zod'
import type { ArgProblem, ArgValue, FlagInfo } from '../../../shared/contract/deployments'
import { everKnown, flagFate } from './flags-bundled'

/** Flags a deployment sets itself (from the definition); users set them through its fields. */
export const MANAGED_FLAGS: Record<string, string> = {
  '--model': 'the model is chosen in the definition (passed as --model org/name)',
  '--port': 'the container port is fixed at 8000; choose the host port in the definition',
  '--host': 'the server listens on all interfaces inside the container; the host interface is a setting',
  '--tensor-parallel-size': 'use the definition’s tensor-parallel size field',
  '-tp': 'use the definition’s tensor-parallel size field',
}

const HUMAN_INT = /^-?\d+(\.\d+)?[kmgtKMGT]?$/

function numberSchema(f: FlagInfo, int: boolean): z.ZodType<unknown> {
  let n = z.number({ message: int ? 'must be a whole number' : 'must be a number' })
  if (int) n = n.int({ message: 'must be a whole number' })
  if (f.min !== null) n = f.minExclusive ? n.gt(f.min, { message: rangeText(f) }) : n.gte(f.min, { message: rangeText(f) })
  if (f.max !== null) n = n.lte(f.max, { message: rangeText(f) })
  const human = f.flag === '--max-model-len' || f.flag === '--max-num-batched-tokens' || f.flag === '--kv-cache-memory-bytes'
  return z.union([
    n,
    z
      .string()
      .trim()
      .refine(
        (s) => (human && (s === 'auto' || HUMAN_INT.test(s))) || (int ? /^-?\d+$/.test(s) : /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)),
        {
          message: int ? 'must be a whole number' : 'must be a number',
        },
      )
      .refine((s) => !/^-?[\d.]+(e[-+]?\d+)?$/i.test(s) || n.safeParse(Number(s)).success, { message: rangeText(f) }),
  ])
}

function rangeText(f: FlagInfo): string {
  const lo = f.min === null ? '' : `${f.minExclusive ? 'above' : 'at least'} ${f.min}`
  const hi = f.max === null ? '' : `at most ${f.max}`
  return `must be ${[lo, hi].filter(Boolean).join(' and ') || 'in range'}`
}

/** zod schema of one flag's value. */
export function flagValueSchema(f: FlagInfo): z.ZodType<unknown> {
  if (f.type === 'bool') {
    return f.action === 'store_true'
      ? z.boolean({ message: 'is an on/off switch: true or false' })
      : z.boolean({ message: 'is an on/off switch: true (--flag) or false (--no-flag)' })
  }
  if (f.choices && f.choices.length) {
    const one = z.string().refine((s) => f.choices!.includes(s), { message: `must be one of ${f.choices.join(', ')}` })
    return f.type === 'list' ? z.union([z.array(one).min(1), one]) : z.union([one, z.number().transform(String).pipe(one)])
  }
  switch (f.type) {
    case 'int':
      return numberSchema(f, true)
    case 'float':
      return numberSchema(f, false)
    case 'list':
      return z.union([z.array(z.string()).min(1, 'needs at least one value'), z.string().min(1)])
    case 'json':
      return z.string().refine(
        (s) => {
          if (!/^\s*[[{]/.test(s)) return true
          try {
            JSON.parse(s)
            return true
          } catch {
            return false
          }
        },
        { message: 'is not valid JSON' },
      )
    default:
      return z.union([z.string(), z.number().transform(String)])
  }
}

/** The zod schema of a whole argument set for these flags (unknown flags rejected). */
export function flagsSchema(flags: FlagInfo[]): z.ZodType<Record<string, unknown>> {
  return z.strictObject(Object.fromEntries(flags.map((f) => [f.flag, flagValueSchema(f).optional()])))
}

export interface FlagIndex {
  byName: Map<string, FlagInfo>
}

export function indexFlags(flags: FlagInfo[]): FlagIndex {
  const byName = new Map<string, FlagInfo>()
  for (const f of flags) {
    byName.set(f.flag, f)
    for (const a of f.aliases) byName.set(a, f)
  }
  return { byName }
}

/** Resolve a written flag (alias, --no-x, --x.key) to its flag; `negated` for --no-x. */
export function lookupFlag(ix: FlagIndex, written: string): { flag: FlagInfo; negated: boolean; dotted: boolean } | null {
  const name = written.split('=')[0]!
  const direct = ix.byName.get(name)
  if (direct) return { flag: direct, negated: false, dotted: false }
  const neg = /^--no-(.+)$/.exec(name)
  if (neg) {
    const f = ix.byName.get(`--${neg[1]}`)
    if (f && f.action === 'boolean_optional') return { flag: f, negated: true, dotted: false }
  }
  const dot = /^(--[a-z0-9-]+)\.[\w.+-]+$/.exec(name)
  if (dot) {
    const f = ix.byName.get(dot[1]!)
    if (f && f.type === 'json') return { flag: f, negated: false, dotted: true }
  }
  return null
}

function unknownProblem(flag: string, imageLabel: string): ArgProblem {
  if (MANAGED_FLAGS[flag]) return { flag, message: `${flag} is set by InferAdmin: ${MANAGED_FLAGS[flag]}.`, successor: null }
  const fate = flagFate(flag)
  if (fate.removedIn || fate.successor) {
    const what = fate.removedIn ? `was removed from vLLM in ${fate.removedIn}` : `is not a flag of ${imageLabel}`
    return { flag, message: `${flag} ${what}${fate.successor ? `; use ${fate.successor} instead` : ''}.`, successor: fate.successor }
  }
  const known = everKnown(flag)
  return { flag, message: `${flag} is not a flag of ${imageLabel}${known ? ' (other vLLM versions have it)' : ''}.`, successor: null }
}

/** Split shell-like words: whitespace separated, '…' and "…" quoting, backslash escapes. */
export function splitWords(s: string): string[] {
  const out: string[] = []
  let cur = ''
  let has = false
  let q: '"' | "'" | null = null
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (q) {
      if (c === q) q = null
      else if (c === '\\' && q === '"' && i + 1 < s.length) cur += s[++i]
      else cur += c
    } else if (c === '"' || c === "'") {
      q = c
      has = true
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i]
      has = true
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur)
      cur = ''
      has = false
    } else cur += c
  }
  if (q) throw new Error(`unclosed ${q} quote`)
  if (has || cur) out.push(cur)
  return out
}

/** Words of extra args → [flag, value] pairs, the way argparse reads them. */
export function parseExtraArgs(ix: FlagIndex, words: string[]): { pairs: [string, ArgValue][]; problems: ArgProblem[] } {
  const pairs: [string, ArgValue][] = []
  const problems: ArgProblem[] = []
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if (!w.startsWith('-')) {
      problems.push({
        flag: w,
        message: `"${w}" is not a flag: extra args are flags with their values (e.g. --max-num-seqs 64).`,
        successor: null,
      })
      continue
    }
    const eq = w.indexOf('=')
    const name = eq > 0 ? w.slice(0, eq) : w
    const hit = lookupFlag(ix, name)
    if (!hit) {
      pairs.push([name, eq > 0 ? w.slice(eq + 1) : true])
      if (eq < 0 && words[i + 1] !== undefined && !words[i + 1]!.startsWith('-')) i++
      continue
    }
    const f = hit.flag
    if (f.type === 'bool' && eq < 0) {
      pairs.push([f.flag, !hit.negated])
      continue
    }
    if (eq > 0) {
      pairs.push([hit.dotted ? name : f.flag, w.slice(eq + 1)])
      continue
    }
    if (f.type === 'list') {
      const vals: string[] = []
      while (words[i + 1] !== undefined && !words[i + 1]!.startsWith('--')) vals.push(words[++i]!)
      pairs.push([f.flag, vals])
      continue
    }
    const v = words[i + 1]
    if (v === undefined || (v.startsWith('--') && !/^-\d/.test(v))) {
      problems.push({ flag: f.flag, message: `${f.flag} needs a value.`, successor: null })
      continue
    }
    i++
    pairs.push([hit.dotted ? name : f.flag, v])
  }
  return { pairs, problems }
}

/**
 * Check arguments (form values + extra args) against an image's flags. Returns every problem, each
 * naming the flag, and for removed/renamed flags the successor.
 */
export function validateArgs(flags: FlagInfo[], args: Record<string, ArgValue>, extraArgs = '', imageLabel = 'this image'): ArgProblem[] {
  const ix = indexFlags(flags)
  const problems: ArgProblem[] = []
  let words: string[] = []
  try {
    words = splitWords(extraArgs)
  } catch (e) {
    problems.push({ flag: 'extra args', message: `Extra args: ${(e as Error).message}.`, successor: null })
  }
  const extra = parseExtraArgs(ix, words)
  problems.push(...extra.problems)
  const seen = new Set<string>()
  for (const [written, value] of [...Object.entries(args), ...extra.pairs]) {
    if (MANAGED_FLAGS[written]) {
      problems.push(unknownProblem(written, imageLabel))
      continue
    }
    const hit = lookupFlag(ix, written)
    if (!hit) {
      problems.push(unknownProblem(written, imageLabel))
      continue
    }
    if (MANAGED_FLAGS[hit.flag.flag]) {
      problems.push(unknownProblem(hit.flag.flag, imageLabel))
      continue
    }
    const key = hit.dotted ? written : hit.flag.flag
    if (seen.has(key)) problems.push({ flag: key, message: `${key} is given twice (form and extra args).`, successor: null })
    seen.add(key)
    if (hit.dotted) continue
    const v = hit.negated ? (value === true ? false : value) : value
    const r = flagValueSchema(hit.flag).safeParse(v)
    if (!r.success)
      problems.push({
        flag: hit.flag.flag,
        message: `${hit.flag.flag} ${r.error.issues[0]?.message ?? 'is invalid'} (got ${JSON.stringify(value)}).`,
        successor: null,
      })
  }
  return problems
}

/** Form values + extra args → the argv words after `--model X`. Call after validateArgs found nothing. */
export function toArgv(flags: FlagInfo[], args: Record<string, ArgValue>, extraArgs = ''): string[] {
  const ix = indexFlags(flags)
  const out: string[] = []
  for (const [written, value] of Object.entries(args)) {
    const hit = lookupFlag(ix, written)
    const f = hit?.flag
    if (typeof value === 'boolean') {
      if (f?.action === 'boolean_optional') out.push(value ? f.flag : `--no-${f.flag.slice(2)}`)
      else if (value) out.push(f?.flag ?? written)
      continue
    }
    out.push(hit?.dotted ? written : (f?.flag ?? written))
    if (Array.isArray(value)) out.push(...value)
    else out.push(String(value))
  }
  return [...out, ...splitWords(extraArgs)]
}
