/**
 * The key a footprint is stored under (issue #16 point 1; pure): what changes a start's memory — the model commit,
 * the image (digest, else canonical repository:tag), the memory-relevant vLLM arguments normalised, and the GPU
 * name(s). Spelling variants give the same key: `--max_model_len 8192` = `--max-model-len=8192` = `8K` (vLLM's
 * human-readable integers: lower-case suffixes ×1000, upper-case ×1024); `-tp 2` = `--tensor-parallel-size 2`;
 * `half` = `float16`; a flag left at its default = the flag absent. `--gpu-memory-utilization` and `--kv-cache-memory-bytes`
 * are not part of it: they are what the planner computes from the footprint.
 */
import { canonicalRepository, parseImageRef } from '../../../shared/image-ref'

type Kind = 'int' | 'num' | 'bool' | 'str' | 'json' | 'list'

/** Memory-relevant flags: canonical long name → [kind, default (null: the image's own, no fixed default)]. */
const FLAGS: Record<string, [Kind, string | null]> = {
  'max-model-len': ['int', null],
  dtype: ['str', 'auto'],
  quantization: ['str', null],
  'kv-cache-dtype': ['str', 'auto'],
  'tensor-parallel-size': ['int', '1'],
  'pipeline-parallel-size': ['int', '1'],
  'data-parallel-size': ['int', '1'],
  'enable-expert-parallel': ['bool', 'false'],
  'enforce-eager': ['bool', 'false'],
  'max-num-seqs': ['int', null],
  'max-num-batched-tokens': ['int', null],
  'enable-chunked-prefill': ['bool', null],
  'block-size': ['int', null],
  'cpu-offload-gb': ['num', '0'],
  'load-format': ['str', 'auto'],
  'hf-overrides': ['json', '{}'],
  'speculative-config': ['json', null],
  'compilation-config': ['json', null],
  'optimization-level': ['str', null],
  'cudagraph-capture-sizes': ['list', null],
  'cuda-graph-sizes': ['list', null],
  'max-cudagraph-capture-size': ['int', null],
  'max-seq-len-to-capture': ['int', null],
  'limit-mm-per-prompt': ['json', null],
  'mm-encoder-tp-mode': ['str', null],
  'enable-lora': ['bool', 'false'],
  'max-loras': ['int', '1'],
  'max-lora-rank': ['int', '16'],
  'fully-sharded-loras': ['bool', 'false'],
}

const ALIASES: Record<string, string> = {
  tp: 'tensor-parallel-size',
  pp: 'pipeline-parallel-size',
  dp: 'data-parallel-size',
  q: 'quantization',
  o: 'optimization-level',
  cc: 'compilation-config',
  sc: 'speculative-config',
}

const DTYPES: Record<string, string> = { half: 'float16', float: 'float32', bf16: 'bfloat16', fp16: 'float16', fp32: 'float32' }

export type FingerprintArg = string | number | boolean | readonly string[] | null | undefined

export interface FingerprintInput {
  /** The model's resolved commit (not a branch name when it can be helped). */
  modelCommit: string
  /** The image reference the container runs. */
  image: string
  /** Its digest (`sha256:…`) when known: wins over the tag. */
  imageDigest?: string | null
  /** `--flag` → value, as a deployment's args. */
  args?: Readonly<Record<string, FingerprintArg>>
  /** Expert arguments already split into words (`--max-model-len=8192`, `-tp`, `2`, `--enforce-eager`). */
  argv?: readonly string[]
  /** nvidia-smi's name of each GPU it runs on. */
  gpuNames: string | readonly string[]
}

const canonicalFlag = (flag: string): string | null => {
  const bare = flag.replace(/^-+/, '').toLowerCase().replace(/_/g, '-')
  const name = ALIASES[bare] ?? bare.replace(/^no-/, '')
  return name in FLAGS ? name : null
}

/** `8k` → 8000, `8K` → 8192, `1.5m` → 1500000 (vLLM's human-readable integers). */
function parseInt_(flag: string, v: string): string {
  if (/^-1$|^auto$/i.test(v)) return 'auto'
  const m = /^(\d+(?:\.\d+)?)([kmgtKMGT]?)$/.exec(v.trim())
  if (!m) throw new Error(`--${flag}: "${v}" is not an integer; write a number such as 8192 (or 8k / 8K)`)
  const unit = m[2] ?? ''
  const pow = unit ? 'kmgt'.indexOf(unit.toLowerCase()) + 1 : 0
  return String(Math.round(Number(m[1]) * (unit && unit === unit.toUpperCase() ? 1024 : 1000) ** pow))
}

function sortedJson(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortedJson)
  if (x && typeof x === 'object')
    return Object.fromEntries(
      Object.keys(x)
        .sort()
        .map((k) => [k, sortedJson((x as Record<string, unknown>)[k])]),
    )
  return x
}

function normalise(flag: string, raw: FingerprintArg, negated: boolean): string | null {
  const [kind] = FLAGS[flag]!
  if (raw === null || raw === undefined) return null
  if (kind === 'bool') {
    const on = raw === true || raw === '' || /^(true|1|yes)$/i.test(String(raw))
    return String(negated ? !on : on)
  }
  if (kind === 'list')
    return (Array.isArray(raw) ? raw : String(raw).split(/[\s,]+/))
      .filter(Boolean)
      .map((x) => parseInt_(flag, x))
      .join(',')
  const s = String(raw).trim()
  if (kind === 'int') return parseInt_(flag, s)
  if (kind === 'num') {
    if (!Number.isFinite(Number(s))) throw new Error(`--${flag}: "${s}" is not a number; write one such as 4`)
    return String(Number(s))
  }
  if (kind === 'json') {
    try {
      return JSON.stringify(sortedJson(JSON.parse(s)))
    } catch {
      throw new Error(`--${flag}: "${s}" is not valid JSON; quote keys and strings, e.g. {"mode": 3}`)
    }
  }
  const lower = s.toLowerCase().replace(/^o(?=\d$)/, '')
  return flag === 'dtype' ? (DTYPES[lower] ?? lower) : lower
}

/** The memory-relevant arguments, canonical name → normalised value, defaults dropped. Later values win. */
export function memoryRelevantArgs(args: FingerprintInput['args'] = {}, argv: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {}
  const set = (flagWord: string, value: FingerprintArg): void => {
    const name = canonicalFlag(flagWord)
    if (!name) return
    const negated = /^-+no[-_]/i.test(flagWord) && !(flagWord.replace(/^-+/, '').replace(/_/g, '-') in FLAGS)
    const v = normalise(name, value, negated)
    const def = FLAGS[name]![1]
    if (v === null || v === def) delete out[name]
    else out[name] = v
  }
  for (const [k, v] of Object.entries(args)) set(k, v)
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!
    if (!w.startsWith('-')) continue
    const eq = w.indexOf('=')
    // -O3 (optimization level glued to its flag)
    const glued = /^-O(\d)$/.exec(w)
    if (glued) set('-O', glued[1]!)
    else if (eq > 0) set(w.slice(0, eq), w.slice(eq + 1))
    else {
      const name = canonicalFlag(w)
      const next = argv[i + 1]
      if (name && FLAGS[name]![0] === 'bool') set(w, true)
      else if (name && FLAGS[name]![0] === 'list') {
        const vals: string[] = []
        while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) vals.push(argv[++i]!)
        set(w, vals)
      } else if (next !== undefined && !next.startsWith('--')) {
        set(w, next)
        i++
      }
    }
  }
  return out
}

const gpuKey = (names: FingerprintInput['gpuNames']): string => {
  const list = (typeof names === 'string' ? [names] : [...names]).map((n) => n.trim().replace(/\s+/g, ' ').toLowerCase()).filter(Boolean)
  if (list.length === 0) throw new Error('fingerprint: gpuNames is empty; pass the GPU names nvidia-smi reports for its GPUs')
  return [...new Set(list)].sort().join('+')
}

/** The footprint key: a stable, readable string (order and spelling of the arguments do not matter). */
export function fingerprint(i: FingerprintInput): string {
  const commit = i.modelCommit.trim()
  if (!commit) throw new Error('fingerprint: modelCommit is empty; pass the resolved commit of the model snapshot')
  if (!i.image.trim()) throw new Error('fingerprint: image is empty; pass the image reference the container runs')
  const ref = parseImageRef(i.image.trim())
  const digest = (i.imageDigest ?? ref.digest)?.trim().toLowerCase()
  const image = digest || `${canonicalRepository(ref.repository)}:${ref.tag ?? 'latest'}`
  const args = memoryRelevantArgs(i.args, i.argv)
  const argText = Object.keys(args)
    .sort()
    .map((k) => `${k}=${args[k]}`)
    .join(' ')
  return `model=${/^[0-9a-f]+$/i.test(commit) ? commit.toLowerCase() : commit}|image=${image}|gpu=${gpuKey(i.gpuNames)}|args=${argText}`
}
