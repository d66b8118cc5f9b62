// @ts-check
/**
 * An argparse-compatible parser over one version's `vllm serve` flag set (data/serve-args.json,
 * vllm-facts §1.1): `--flag value`, `--flag=value`, `--flag_with_underscores` (FlexibleArgumentParser),
 * aliases (-tp), BooleanOptionalAction (`--x` / `--no-x`), store_true, nargs "+" lists, JSON values and
 * the dotted form (`--compilation-config.mode 3`), k/m/g suffixes of human-readable ints, choices, and
 * argparse's errors: `error: argument --x: invalid int value: 'y'`, `error: unrecognized arguments: …`
 * (exit 2).
 */
import { readFileSync } from 'node:fs'

/**
 * @typedef {object} Opt
 * @property {string} flag       e.g. --max-model-len
 * @property {string} dest       e.g. max_model_len
 * @property {string} type       int | float | str | bool | json | list
 * @property {unknown} default
 * @property {string[] | null} choices
 * @property {boolean} deprecated
 * @property {'store' | 'store_true' | 'bool_optional' | 'append'} action
 * @property {'+' | '?' | null} nargs
 * @property {string[]} aliases
 * @property {string | null} negation
 * @property {string} help
 * @property {string} group
 * @property {string[] | null} suggested
 * @property {boolean} humanReadable
 * @property {boolean} plainStringOk   JSON flags that also take a plain string
 * @property {unknown} constValue      value of a bare `--flag` with nargs "?"
 * @property {string} itemType         element type of lists
 */

/**
 * @typedef {object} ParserSpec
 * @property {string} prog
 * @property {Opt[]} opts
 * @property {Opt | null} positional  model_tag (only with the `vllm serve` entrypoint)
 * @property {Map<string, {opt: Opt, negated: boolean}>} byName
 */

/** @type {any} */
let data
function loadData() {
  data ??= JSON.parse(readFileSync(new URL('./data/serve-args.json', import.meta.url), 'utf8'))
  return data
}

/**
 * @param {string} snapshot key of data/serve-args.json (see versions.js)
 * @param {{prog: string, positionalModel: boolean}} o
 * @returns {ParserSpec}
 */
export function buildParser(snapshot, o) {
  const d = loadData()
  const snap = d.snapshots[snapshot]
  if (!snap) throw new Error(`no flag snapshot ${snapshot}`)
  /** @type {Opt[]} */
  const opts = []
  /** @type {Opt | null} */
  let positional = null
  for (const [flag, tuple] of Object.entries(/** @type {Record<string, [string, unknown, string[] | null, number]>} */ (snap.flags))) {
    const [type, def, choices, deprecated] = tuple
    const m = d.meta[flag] ?? {}
    /** @type {Opt} */
    const opt = {
      flag,
      dest: flag.replace(/^-+/, '').replace(/-/g, '_'),
      type,
      default: def,
      choices,
      deprecated: !!deprecated,
      action: 'store',
      nargs: m.nargs === '+' || type === 'list' ? '+' : m.nargs === '?' ? '?' : null,
      aliases: m.aliases ?? [],
      negation: null,
      help: m.help ?? `(${flag}: no help text recorded in the reference snapshot)`,
      group: !m.group || m.group === 'serve' ? 'options' : m.group,
      suggested: m.suggested_values ?? null,
      humanReadable: !!m.human_readable,
      plainStringOk: typeof m.accepts === 'string' && m.accepts.includes('plain string'),
      constValue: m.bare_flag_value ?? null,
      itemType: m.item_type ?? 'str',
    }
    if (flag === 'model_tag') {
      opt.group = 'positional arguments'
      if (o.positionalModel) positional = opt
      continue
    }
    if (m.action === 'append') opt.action = 'append'
    if (type === 'bool') {
      opt.nargs = null
      if (m.negation) {
        opt.action = 'bool_optional'
        opt.negation = m.negation
      } else {
        opt.action = 'store_true'
      }
    }
    opts.push(opt)
  }
  /** @type {ParserSpec['byName']} */
  const byName = new Map()
  for (const opt of opts) {
    byName.set(opt.flag, { opt, negated: false })
    for (const a of opt.aliases) byName.set(a, { opt, negated: false })
    if (opt.negation) byName.set(opt.negation, { opt, negated: true })
  }
  return { prog: o.prog, opts, positional, byName }
}

export class ArgError extends Error {}

/** argparse: a token is an option unless it looks like a negative number. */
/** @param {string} t */
const isOptionLike = (t) => t.startsWith('-') && t.length > 1 && !/^-\d+$|^-\d*\.\d+$/.test(t)

/** Python repr of a string, as argparse prints values in errors. */
/** @param {string} s */
export const pyStr = (s) => (s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)

/** @param {Opt} opt */
const label = (opt) => (opt.negation ? `${opt.flag}/${opt.negation}` : opt.flag)

/**
 * vLLM's human_readable_int: k/m/g/t ×1000, K/M/G/T ×1024, "auto"/-1 where allowed (vllm-facts §1.1).
 * @param {string} v
 */
function humanInt(v) {
  if (v === 'auto') return -1
  const m = /^(-?\d+(?:\.\d+)?)([kmgtKMGT]?)$/.exec(v)
  if (!m) return null
  const n = Number(m[1])
  const unit = m[2] ?? ''
  const pow = { '': 0, k: 1, m: 2, g: 3, t: 4, K: 1, M: 2, G: 3, T: 4 }[unit] ?? 0
  const base = unit && unit === unit.toUpperCase() ? 1024 : 1000
  const r = n * base ** pow
  return Number.isInteger(r) ? r : null
}

/**
 * @param {Opt} opt
 * @param {string} raw
 * @param {string} [itemType]
 */
function convert(opt, raw, itemType = opt.type) {
  const bad = (/** @type {string} */ fn) => new ArgError(`argument ${label(opt)}: invalid ${fn} value: ${pyStr(raw)}`)
  /** @type {unknown} */
  let v
  if (opt.humanReadable) {
    v = humanInt(raw)
    if (v === null) throw bad('human_readable_int')
  } else if (itemType === 'int') {
    if (!/^\s*[-+]?\d+\s*$/.test(raw)) throw bad('int')
    v = Number(raw)
  } else if (itemType === 'float') {
    if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(inf|infinity|nan)\s*$/i.test(raw)) throw bad('float')
    v = Number(raw)
  } else if (itemType === 'json') {
    try {
      v = JSON.parse(raw)
    } catch {
      if (!opt.plainStringOk) throw bad('loads')
      v = raw
    }
  } else {
    v = raw
  }
  if (opt.choices && !opt.choices.includes(String(v))) {
    throw new ArgError(`argument ${label(opt)}: invalid choice: ${pyStr(raw)} (choose from ${opt.choices.map(pyStr).join(', ')})`)
  }
  return v
}

/**
 * @typedef {object} Parsed
 * @property {Record<string, unknown>} args    every dest, defaults filled in
 * @property {Set<string>} given               dests set on the command line
 * @property {string[]} deprecatedUsed         flags marked deprecated that were used
 */

/**
 * Parse like argparse's parse_args: returns the namespace or throws ArgError (exit 2 with usage).
 * @param {ParserSpec} spec
 * @param {string[]} argv
 * @returns {Parsed}
 */
export function parseArgs(spec, argv) {
  /** @type {Record<string, unknown>} */
  const args = {}
  for (const o of spec.opts) args[o.dest] = structuredClone(o.default)
  if (spec.positional) args[spec.positional.dest] = null
  const given = new Set()
  /** @type {string[]} */
  const extras = []
  /** @type {string[]} */
  const deprecatedUsed = []
  let positionalDone = false
  let onlyPositionals = false
  for (let i = 0; i < argv.length; i++) {
    const tok = /** @type {string} */ (argv[i])
    if (!onlyPositionals && tok === '--') {
      onlyPositionals = true
      continue
    }
    if (onlyPositionals || !isOptionLike(tok)) {
      if (spec.positional && !positionalDone) {
        args[spec.positional.dest] = tok
        given.add(spec.positional.dest)
        positionalDone = true
      } else extras.push(tok)
      continue
    }
    const eq = tok.indexOf('=')
    let key = eq > 0 ? tok.slice(0, eq) : tok
    const inline = eq > 0 ? tok.slice(eq + 1) : undefined
    if (key.startsWith('--')) key = `--${key.slice(2).replace(/_/g, '-')}`
    let hit = spec.byName.get(key)
    /** @type {string | null} */
    let dotted = null
    if (!hit && key.includes('.')) {
      const base = spec.byName.get(key.slice(0, key.indexOf('.')))
      if (base && base.opt.type === 'json') {
        hit = base
        dotted = key.slice(key.indexOf('.') + 1)
      }
    }
    if (!hit) {
      extras.push(tok)
      continue
    }
    const { opt, negated } = hit
    given.add(opt.dest)
    if (opt.deprecated && !deprecatedUsed.includes(opt.flag)) deprecatedUsed.push(opt.flag)
    if (opt.action === 'store_true' || opt.action === 'bool_optional') {
      if (inline !== undefined) throw new ArgError(`argument ${label(opt)}: ignored explicit argument ${pyStr(inline)}`)
      args[opt.dest] = !negated
      continue
    }
    /** @returns {string} */
    const one = () => {
      if (inline !== undefined) return inline
      const next = argv[i + 1]
      if (next === undefined || isOptionLike(next)) throw new ArgError(`argument ${label(opt)}: expected one argument`)
      i++
      return next
    }
    if (dotted !== null) {
      const raw = one()
      let v
      try {
        v = JSON.parse(raw)
      } catch {
        v = raw
      }
      const cur = args[opt.dest] && typeof args[opt.dest] === 'object' ? /** @type {Record<string, unknown>} */ (args[opt.dest]) : {}
      /** @type {Record<string, unknown>} */
      let node = cur
      const path = dotted.split('.')
      path.forEach((k, j) => {
        if (j === path.length - 1) node[k] = v
        else node = /** @type {Record<string, unknown>} */ (node[k] ??= {})
      })
      args[opt.dest] = cur
      continue
    }
    if (opt.nargs === '+') {
      /** @type {string[]} */
      const vals = []
      if (inline !== undefined) vals.push(inline)
      else
        while (argv[i + 1] !== undefined && !isOptionLike(/** @type {string} */ (argv[i + 1]))) vals.push(/** @type {string} */ (argv[++i]))
      if (!vals.length) throw new ArgError(`argument ${label(opt)}: expected at least one argument`)
      args[opt.dest] = vals.map((v) => convert(opt, v, opt.type === 'list' ? opt.itemType : opt.type))
      continue
    }
    if (opt.nargs === '?') {
      const next = argv[i + 1]
      if (inline !== undefined) args[opt.dest] = convert(opt, inline)
      else if (next !== undefined && !isOptionLike(next)) args[opt.dest] = convert(opt, /** @type {string} */ (argv[++i]))
      else args[opt.dest] = opt.constValue ?? true
      continue
    }
    const v = convert(opt, one())
    if (opt.action === 'append') args[opt.dest] = [...(Array.isArray(args[opt.dest]) ? /** @type {unknown[]} */ (args[opt.dest]) : []), v]
    else args[opt.dest] = v
  }
  if (extras.length) throw new ArgError(`unrecognized arguments: ${extras.join(' ')}`)
  return { args, given, deprecatedUsed }
}

/**
 * `vllm serve`'s "non-default args" (vllm-facts §2): dests whose value differs from the parser default, in parser order.
 * @param {ParserSpec} spec
 * @param {Parsed} p
 */
export function nonDefaultArgs(spec, p) {
  /** @type {[string, unknown][]} */
  const out = []
  const all = spec.positional ? [spec.positional, ...spec.opts] : spec.opts
  for (const o of all) {
    const v = p.args[o.dest]
    if (JSON.stringify(v) !== JSON.stringify(o.default ?? null) && !(v === undefined && o.default === null)) out.push([o.dest, v])
  }
  return out
}
