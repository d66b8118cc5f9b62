// @ts-check
/**
 * argparse-style usage and help for the simulated `vllm serve` (vllm-facts §1.1): Python 3.12 argparse
 * layout (80 columns, help at column 24), vLLM's SortedHelpFormatter (ArgumentDefaultsHelpFormatter:
 * "(default: …)" appended, options sorted inside each group) and the `--help=all|<Group>|<flag>|<keyword>`
 * filter of `vllm serve`.
 */

/** @typedef {import('./argparse.js').Opt} Opt */
/** @typedef {import('./argparse.js').ParserSpec} ParserSpec */

const WIDTH = 78
const HELP_POS = 24

/** Docstrings of the config dataclasses that become argparse group descriptions. */
const GROUP_DESCRIPTIONS = /** @type {Record<string, string>} */ ({
  Frontend: 'Arguments for the OpenAI-compatible frontend server.',
  ModelConfig: 'Configuration for the model.',
  LoadConfig: 'Configuration for loading the model weights.',
  AttentionConfig: 'Configuration for attention mechanisms in vLLM.',
  StructuredOutputsConfig: 'Dataclass which contains structured outputs config for the engine.',
  ParallelConfig: 'Configuration for the distributed execution.',
  CacheConfig: 'Configuration for the KV cache.',
  OffloadConfig: 'Configuration for model weight offloading.',
  MultiModalConfig: 'Controls the behavior of multimodal models.',
  LoRAConfig: 'Configuration for LoRA.',
  ObservabilityConfig: 'Configuration for observability - metrics and tracing.',
  SchedulerConfig: 'Scheduler configuration.',
  CompilationConfig: 'Configuration for compilation.',
  KernelConfig: 'Configuration for kernel selection.',
  MambaConfig: 'Configuration for Mamba-style models.',
  VllmConfig: 'Dataclass which contains all vllm-related configuration.',
})

const DESCRIPTION = 'Launch a local OpenAI-compatible API server to serve LLM\ncompletions via HTTP.'

/** A number that Python holds as a float (prints 1.0, not 1). */
export class PyFloat {
  /** @param {number} value */
  constructor(value) {
    this.value = value
  }
}

/** Python str() of a default value, as ArgumentDefaultsHelpFormatter prints it. */
/** @param {unknown} v @returns {string} */
export function pyValue(v) {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (v instanceof PyFloat) return Number.isInteger(v.value) ? v.value.toFixed(1) : String(v.value)
  if (typeof v === 'number') return String(v)
  if (typeof v === 'string') return v
  return pyRepr(v)
}

/** Python repr(), for the "non-default args" dict and defaults. */
/** @param {unknown} v @returns {string} */
export function pyRepr(v) {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`
  if (v instanceof PyFloat) return pyValue(v)
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`
  return pyValue(v)
}

/** @param {Opt} o */
function metavar(o) {
  const values = o.choices ?? o.suggested
  return values ? `{${values.join(',')}}` : o.dest.toUpperCase()
}

/** @param {Opt} o @param {string} name */
function withArgs(o, name) {
  if (o.action === 'store_true' || o.action === 'bool_optional') return name
  const m = metavar(o)
  if (o.nargs === '+') return `${name} ${m} [${m} ...]`
  if (o.nargs === '?') return `${name} [${m}]`
  return `${name} ${m}`
}

/** @param {Opt} o */
function usagePart(o) {
  if (o.action === 'bool_optional') return `[${o.flag} | ${o.negation}]`
  return `[${withArgs(o, o.flag)}]`
}

/** @param {Opt} o */
function invocation(o) {
  if (o.action === 'bool_optional') return `${o.flag}, ${o.negation}`
  return [o.flag, ...o.aliases].map((n) => withArgs(o, n)).join(', ')
}

/**
 * @param {string[]} parts
 * @param {string} indent
 * @param {string} [prefix]
 */
function wrapParts(parts, indent, prefix) {
  /** @type {string[]} */
  const lines = []
  let line = []
  let len = prefix !== undefined ? prefix.length - 1 : indent.length - 1
  for (const p of parts) {
    if (len + 1 + p.length > WIDTH && line.length) {
      lines.push((lines.length || prefix === undefined ? indent : '') + line.join(' '))
      line = []
      len = indent.length - 1
    }
    line.push(p)
    len += p.length + 1
  }
  if (line.length) lines.push((lines.length || prefix === undefined ? indent : '') + line.join(' '))
  return lines
}

/** @param {ParserSpec} spec */
export function usage(spec) {
  const prefix = `usage: ${spec.prog} `
  const opts = ['[-h]', ...spec.opts.map(usagePart)]
  const pos = spec.positional ? ['[model_tag]'] : []
  const indent = ' '.repeat(prefix.length)
  const lines = wrapParts(opts, indent, prefix)
  lines[0] = prefix + lines[0]
  if (pos.length) lines.push(...wrapParts(pos, indent))
  return lines.join('\n') + '\n'
}

/** @param {string} text @param {number} width */
function wrapText(text, width) {
  /** @type {string[]} */
  const lines = []
  let line = ''
  /** @type {string[]} */
  const words = []
  // textwrap (argparse) breaks words longer than the width
  for (const w of text.split(/\s+/).filter(Boolean)) for (let i = 0; i < w.length; i += width) words.push(w.slice(i, i + width))
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines
}

/**
 * @param {string} inv
 * @param {string} help
 */
function entry(inv, help) {
  const helpLines = wrapText(help, WIDTH - HELP_POS)
  const head = `  ${inv}`
  if (head.length <= HELP_POS - 2 && helpLines.length) {
    return [head.padEnd(HELP_POS) + helpLines[0], ...helpLines.slice(1).map((l) => ' '.repeat(HELP_POS) + l)].join('\n')
  }
  return [head, ...helpLines.map((l) => ' '.repeat(HELP_POS) + l)].join('\n')
}

/** @param {Opt} o */
function optEntry(o) {
  return entry(invocation(o), `${o.deprecated ? '[DEPRECATED] ' : ''}${o.help} (default: ${pyValue(o.default)})`)
}

/** @param {ParserSpec} spec @returns {Map<string, Opt[]>} */
function groups(spec) {
  /** @type {Map<string, Opt[]>} */
  const g = new Map([['options', []]])
  for (const o of spec.opts) {
    const list = g.get(o.group) ?? []
    list.push(o)
    g.set(o.group, list)
  }
  for (const list of g.values()) list.sort((a, b) => (a.flag < b.flag ? -1 : a.flag > b.flag ? 1 : 0))
  return g
}

/** @param {string} name @param {Opt[]} list @param {boolean} [withHelpFlag] */
function section(name, list, withHelpFlag = false) {
  const out = [`${name}:`]
  const desc = GROUP_DESCRIPTIONS[name]
  if (desc) out.push(`  ${desc}`, '')
  if (withHelpFlag) out.push(entry('-h, --help', 'show this help message and exit'))
  for (const o of list) out.push(optEntry(o))
  return out.join('\n')
}

/** @param {ParserSpec} spec */
function positionalSection(spec) {
  const p = spec.positional
  return p ? `positional arguments:\n${entry('model_tag', `${p.help} (default: None)`)}` : null
}

/** @param {ParserSpec} spec @param {'old' | 'new'} epilogStyle */
function epilog(spec, epilogStyle) {
  if (epilogStyle === 'new') {
    return (
      'For full list:            vllm serve --help=all\n' +
      'For a section:            vllm serve --help=ModelConfig    (case-insensitive)\n' +
      'For a flag:               vllm serve --help=max-model-len  (_ or - accepted)\n' +
      'Documentation:            https://docs.vllm.ai\n'
    )
  }
  return (
    'Tip: Use `vllm [serve|run-batch|bench <bench_type>] --help=<keyword>` to explore arguments from help.\n' +
    '   - To view a argument group:     --help=ModelConfig\n' +
    '   - To view a single argument:    --help=max-num-seqs\n' +
    '   - To search by keyword:         --help=max\n' +
    '   - To list all groups:           --help=listgroup\n' +
    '   - To view help with pager:      --help=page\n'
  )
}

/**
 * Full argparse help (what `--help=all` prints, and plain `--help` on the api_server entrypoint).
 * @param {ParserSpec} spec
 */
export function fullHelp(spec) {
  const parts = [usage(spec), DESCRIPTION + '\n']
  const pos = positionalSection(spec)
  if (pos) parts.push(pos + '\n')
  for (const [name, list] of groups(spec)) parts.push(section(name, list, name === 'options') + '\n')
  return parts.join('\n')
}

/**
 * `vllm serve --help[=<filter>]` of the `vllm serve` entrypoint.
 * @param {ParserSpec} spec
 * @param {string | null} filter null for plain --help
 * @param {'old' | 'new'} epilogStyle
 * @returns {{text: string, code: number}}
 */
export function filteredHelp(spec, filter, epilogStyle) {
  const g = groups(spec)
  if (filter === null) {
    const parts = [usage(spec), DESCRIPTION + '\n']
    const pos = positionalSection(spec)
    if (pos) parts.push(pos + '\n')
    parts.push(section('options', g.get('options') ?? [], true) + '\n')
    const names = [...g.keys()].filter((n) => n !== 'options')
    parts.push(`Config Groups:\n${names.map((n) => `  ${n}`).join('\n')}\n`)
    parts.push(epilog(spec, epilogStyle))
    return { text: parts.join('\n'), code: 0 }
  }
  if (filter === 'all') return { text: fullHelp(spec), code: 0 }
  if (filter === 'listgroup') return { text: `Available argument groups:\n${[...g.keys()].map((n) => `  ${n}`).join('\n')}\n`, code: 0 }
  const lower = filter.toLowerCase()
  for (const [name, list] of g) {
    if (name.toLowerCase() === lower) return { text: section(name, list) + '\n', code: 0 }
  }
  const flag = `--${filter.replace(/^-+/, '').replace(/_/g, '-')}`
  const exact = spec.opts.find((o) => o.flag === flag || o.aliases.includes(filter))
  if (exact) return { text: `Parameter '${filter}':\n${optEntry(exact)}\n`, code: 0 }
  const found = spec.opts.filter((o) => o.flag.includes(lower) || o.help.toLowerCase().includes(lower))
  if (found.length) return { text: `Parameters matching '${filter}':\n\n${found.map(optEntry).join('\n')}\n`, code: 0 }
  return { text: `No group or parameter matching '${filter}'\nTip: use --help=listgroup to view all groups.\n`, code: 1 }
}
