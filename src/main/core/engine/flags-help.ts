import type { FlagInfo } from '../../../shared/contract/deployments'

/**
 * Parses Python argparse help (`vllm serve --help=all`, or `api_server.py --help` of ≤ v0.11 images) into
 * flags: invocation (aliases, metavar, {choices}, [optional], nargs +, --no- pair), group, help and
 * `(default: …)`. Types the help cannot tell (default None) are left for the caller to fill from the
 * bundled list.
 */

export interface ParsedFlag extends FlagInfo {
  /** The type was inferred from the default, not known. */
  typeGuessed: boolean
}

const OPTION_LINE = /^ {2}(-{1,2}[A-Za-z0-9][^\s,]*)/
const GROUP_LINE = /^([A-Za-z][\w .-]*):\s*$/

/** Python repr of a default → JSON value (None, True/False, numbers, 'str', lists of those); else the text. */
export function parsePyDefault(text: string): unknown {
  const t = text.trim()
  if (t === 'None') return null
  if (t === 'True') return true
  if (t === 'False') return false
  if (/^-?\d+$/.test(t)) return Number(t)
  if (/^-?(\d+\.\d*|\.\d+|\d+)(e[-+]?\d+)?$/i.test(t)) return Number(t)
  const q = /^'(.*)'$/.exec(t) ?? /^"(.*)"$/.exec(t)
  if (q) return q[1]
  const list = /^\[(.*)\]$/.exec(t)
  if (list) {
    const inner = list[1]!.trim()
    if (!inner) return []
    return inner.split(/,\s*/).map((x) => parsePyDefault(x))
  }
  return t
}

interface Invocation {
  flag: string
  aliases: string[]
  negation: boolean
  metavar: string | null
  choices: string[] | null
  optionalValue: boolean
  list: boolean
}

function parseInvocation(inv: string): Invocation | null {
  const parts = inv.split(/, (?=-)/)
  let flag: string | null = null
  const aliases: string[] = []
  let negation = false
  let metavar: string | null = null
  let choices: string[] | null = null
  let optionalValue = false
  let list = false
  for (const part of parts) {
    const m = /^(-{1,2}[A-Za-z0-9][\w.-]*)(?:\s+(.*))?$/.exec(part.trim())
    if (!m) continue
    const name = m[1]!
    const rest = m[2]?.trim() ?? ''
    if (name.startsWith('--no-') && flag && name === `--no-${flag.slice(2)}`) {
      negation = true
      continue
    }
    if (!flag && name.startsWith('--')) flag = name
    else aliases.push(name)
    if (rest && metavar === null) {
      const c = /^\{([^}]*)\}/.exec(rest)
      if (c) choices = c[1]!.split(',')
      metavar = rest.split(/\s+/)[0] ?? rest
      if (/^\[.*\]$/.test(rest)) optionalValue = true
      if (/\.\.\.\]$/.test(rest)) list = true
    }
  }
  if (!flag) {
    // Only short names (e.g. -h): not a serve flag we offer.
    return null
  }
  return { flag, aliases, negation, metavar, choices, optionalValue, list }
}

function inferType(inv: Invocation, def: unknown, help: string): { type: FlagInfo['type']; guessed: boolean } {
  if (!inv.metavar) return { type: 'bool', guessed: false }
  if (inv.negation) return { type: 'bool', guessed: false }
  if (inv.list) return { type: 'list', guessed: false }
  if (inv.choices) {
    const nums = inv.choices.filter((c) => c !== 'None')
    if (nums.length && nums.every((c) => /^-?\d+$/.test(c))) return { type: 'int', guessed: false }
    return { type: 'str', guessed: false }
  }
  if (typeof def === 'number') return { type: Number.isInteger(def) && !/\d\.\d/.test(String(def)) ? 'int' : 'float', guessed: true }
  if (Array.isArray(def)) return { type: 'json', guessed: true }
  if (/json|dict/i.test(help) || /_CONFIG$/.test(inv.metavar)) return { type: 'json', guessed: true }
  return { type: 'str', guessed: true }
}

/** Parse the whole help text. Throws when it does not look like argparse help (so the caller falls back). */
export function parseArgparseHelp(text: string): ParsedFlag[] {
  const lines = text.replace(/\r/g, '').split('\n')
  const out: ParsedFlag[] = []
  let group = 'options'
  let cur: { inv: Invocation; help: string[] } | null = null
  const flush = (): void => {
    if (!cur) return
    let help = cur.help.join(' ').replace(/\s+/g, ' ').trim()
    let def: unknown = null
    const dm = /\s*\(default: (.*)\)$/.exec(help)
    if (dm) {
      def = parsePyDefault(dm[1]!)
      help = help.slice(0, dm.index).trim()
    }
    const { type, guessed } = inferType(cur.inv, def, help)
    const deprecated = /^\[DEPRECATED\]/i.test(help) || /\bdeprecated\b.*\bremoved\b/i.test(help)
    out.push({
      flag: cur.inv.flag,
      aliases: cur.inv.aliases,
      type,
      action: !cur.inv.metavar ? (cur.inv.negation ? 'boolean_optional' : 'store_true') : cur.inv.negation ? 'boolean_optional' : 'value',
      default: def,
      choices: cur.inv.choices ? cur.inv.choices.filter((c) => c !== 'None') : null,
      min: null,
      max: null,
      minExclusive: false,
      group,
      help,
      deprecated,
      typeGuessed: guessed,
    })
    cur = null
  }
  let sawUsage = false
  for (const line of lines) {
    if (/^usage: /.test(line)) sawUsage = true
    const g = GROUP_LINE.exec(line)
    if (g) {
      flush()
      group = g[1] === 'options' || g[1] === 'optional arguments' ? 'serve' : g[1]!
      continue
    }
    if (OPTION_LINE.test(line)) {
      flush()
      const body = line.slice(2)
      const split = /^(.*?\S)(?: {2,}(\S.*))?$/.exec(body)
      const invText = split?.[1] ?? body
      const inv = parseInvocation(invText)
      if (inv && inv.flag !== '--help') cur = { inv, help: split?.[2] ? [split[2]] : [] }
      continue
    }
    if (cur && /^ {3,}\S/.test(line)) {
      cur.help.push(line.trim())
      continue
    }
    if (cur && line.trim() === '') continue
    if (cur && /^ {2}\S/.test(line)) flush() // group description or a positional
  }
  flush()
  if (!sawUsage || out.length < 10) throw new Error(`not argparse help (${out.length} flags found)`)
  return out
}
