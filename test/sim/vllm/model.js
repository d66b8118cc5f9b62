// @ts-check
/**
 * How the simulated vLLM finds `--model org/name` in a mounted Hugging Face cache
 * (shared/reference/hf-hub-protocol.md §2.1–2.5: HF_HUB_CACHE > HUGGINGFACE_HUB_CACHE > $HF_HOME/hub >
 * $XDG_CACHE_HOME/huggingface/hub > ~/.cache/huggingface/hub; `--download-dir` wins; refs/<rev> → snapshots/<commit>/)
 * and what it reads there: config.json (architecture, layers, heads, context length, dtype) and the
 * safetensors files (sizes, and a validated header like the real loader).
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'

export class ModelError extends Error {
  /** @param {string} pyType e.g. ValueError @param {string} message */
  constructor(pyType, message) {
    super(message)
    this.pyType = pyType
  }
}

/**
 * @typedef {object} ModelInfo
 * @property {string} name           as given (--model / positional)
 * @property {string} dir            snapshot or local directory
 * @property {string | null} commit
 * @property {Record<string, any>} config
 * @property {string} architecture
 * @property {number} weightBytes    sum of weight file sizes
 * @property {number} paramCount     from safetensors headers
 * @property {number} numLayers
 * @property {number} numKvHeads
 * @property {number} headDim
 * @property {number} hiddenSize
 * @property {number} derivedMaxLen
 * @property {string} dtype          bfloat16 | float16 | float32
 * @property {string[]} labels       classifier labels: config.json `id2label` in id order, else `LABEL_i` for `num_labels`
 *                                   (transformers' default: 2)
 */

/** @param {NodeJS.ProcessEnv} env @param {string | null} downloadDir */
export function hubCacheDir(env, downloadDir) {
  if (downloadDir) return downloadDir
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE
  if (env.HF_HOME) return join(env.HF_HOME, 'hub')
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'huggingface', 'hub')
  return join(env.HOME || '/root', '.cache', 'huggingface', 'hub')
}

/** @param {string} v */
const truthy = (v) => ['1', 'ON', 'YES', 'TRUE'].includes(v.toUpperCase())

/** @param {string} name */
function notFound(name) {
  return new ModelError(
    'ValueError',
    `Invalid repository ID or local directory specified: '${name}'.\n` +
      'Please verify the following requirements:\n' +
      '1. Provide a valid Hugging Face repository ID.\n' +
      '2. Specify a local directory that contains a recognized configuration file.\n' +
      "   - For Hugging Face models: ensure the presence of a 'config.json'.\n" +
      "   - For Mistral models: ensure the presence of a 'params.json'.",
  )
}

/**
 * Read and check a safetensors header (8-byte little-endian length + JSON), like safetensors' Rust loader.
 * @param {string} file
 * @returns {number} parameter count
 */
export function readSafetensorsHeader(file) {
  const size = statSync(file).size
  const fd = openSync(file, 'r')
  try {
    if (size < 8) throw new ModelError('safetensors_rust.SafetensorError', 'Error while deserializing header: HeaderTooSmall')
    const lenBuf = Buffer.alloc(8)
    readSync(fd, lenBuf, 0, 8, 0)
    const n = Number(lenBuf.readBigUInt64LE(0))
    if (n > 100_000_000 || 8 + n > size)
      throw new ModelError('safetensors_rust.SafetensorError', 'Error while deserializing header: HeaderTooLarge')
    const buf = Buffer.alloc(n)
    readSync(fd, buf, 0, n, 8)
    /** @type {Record<string, {dtype: string, shape: number[], data_offsets: [number, number]}>} */
    let header
    try {
      header = JSON.parse(buf.toString('utf8'))
    } catch {
      throw new ModelError('safetensors_rust.SafetensorError', 'Error while deserializing header: InvalidHeaderDeserialization')
    }
    let params = 0
    let end = 0
    for (const [k, t] of Object.entries(header)) {
      if (k === '__metadata__') continue
      if (!t || !Array.isArray(t.shape) || !Array.isArray(t.data_offsets)) {
        throw new ModelError('safetensors_rust.SafetensorError', 'Error while deserializing header: InvalidHeaderDeserialization')
      }
      params += t.shape.reduce((a, b) => a * b, 1)
      end = Math.max(end, t.data_offsets[1])
    }
    if (8 + n + end > size)
      throw new ModelError('safetensors_rust.SafetensorError', 'Error while deserializing header: MetadataIncompleteBuffer')
    return params
  } finally {
    closeSync(fd)
  }
}

/** @param {Record<string, any>} config */
function classLabels(config) {
  if (config.id2label && typeof config.id2label === 'object') {
    return Object.entries(config.id2label)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, l]) => String(l))
  }
  return Array.from({ length: Number(config.num_labels ?? 2) }, (_, i) => `LABEL_${i}`)
}

/**
 * @param {{name: string, revision: string | null, downloadDir: string | null, env: NodeJS.ProcessEnv, loadFormat?: string}} o
 * @returns {ModelInfo}
 */
export function resolveModel(o) {
  const { name, env } = o
  let dir
  /** @type {string | null} */
  let commit = null
  const local = isAbsolute(name) || name.startsWith('.') || name.startsWith('~')
  if (local) {
    dir = resolve(name.replace(/^~/, env.HOME || '/root'))
    if (!existsSync(join(dir, 'config.json'))) throw notFound(name)
  } else {
    if (!/^[\w.-]+(\/[\w.-]+)?$/.test(name) || name.includes('--') || name.includes('..')) {
      throw new ModelError(
        'huggingface_hub.errors.HFValidationError',
        `Repo id must be in the form 'repo_name' or 'namespace/repo_name': '${name}'. Use \`repo_type\` argument if needed.`,
      )
    }
    const repoDir = join(hubCacheDir(env, o.downloadDir), `models--${name.replace('/', '--')}`)
    const rev = o.revision ?? 'main'
    if (/^[0-9a-f]{40}$/.test(rev)) commit = rev
    else {
      try {
        commit = readFileSync(join(repoDir, 'refs', rev), 'utf8').trim()
      } catch {
        commit = null
      }
    }
    dir = commit ? join(repoDir, 'snapshots', commit) : ''
    if (!commit || !existsSync(join(dir, 'config.json'))) {
      if (truthy(env.HF_HUB_OFFLINE ?? '') || truthy(env.TRANSFORMERS_OFFLINE ?? '')) throw notFound(name)
      // Online, but this machine reaches no Hub (the simulation has no network): what huggingface_hub raises then.
      throw new ModelError(
        'huggingface_hub.errors.LocalEntryNotFoundError',
        'An error happened while trying to locate the file on the Hub and we cannot find the requested files in the local cache. ' +
          'Please check your connection and try again or make sure your Internet connection is on.',
      )
    }
  }
  /** @type {Record<string, any>} */
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
  const files = readdirSync(dir)
  const weights = files.filter((f) => f.endsWith('.safetensors'))
  const other = files.filter((f) => /\.(bin|pt|pth)$/.test(f))
  if (!weights.length && !other.length && o.loadFormat !== 'dummy') {
    throw new ModelError('RuntimeError', `Cannot find any model weights with \`${dir}\``)
  }
  let weightBytes = 0
  let paramCount = 0
  for (const f of weights.length ? weights : other) {
    const p = join(dir, f)
    weightBytes += statSync(p).size
    if (f.endsWith('.safetensors') && o.loadFormat !== 'dummy') paramCount += readSafetensorsHeader(p)
  }
  const text = config.text_config ?? config
  const heads = Number(text.num_attention_heads ?? text.n_head ?? text.decoder_attention_heads ?? 8)
  const hidden = Number(text.hidden_size ?? text.n_embd ?? text.d_model ?? 512)
  const arch = String((config.architectures ?? ['LlamaForCausalLM'])[0])
  const dtypeRaw = String(config.torch_dtype ?? config.dtype ?? text.torch_dtype ?? 'bfloat16')
  return {
    name,
    dir,
    commit,
    config,
    architecture: arch,
    weightBytes,
    paramCount,
    numLayers: Number(text.num_hidden_layers ?? text.n_layer ?? text.num_layers ?? 12),
    numKvHeads: Number(text.num_key_value_heads ?? heads),
    headDim: Number(text.head_dim ?? Math.floor(hidden / heads)),
    hiddenSize: hidden,
    derivedMaxLen: Number(
      text.max_position_embeddings ?? text.max_target_positions ?? text.n_positions ?? text.max_seq_len ?? text.seq_length ?? 2048,
    ),
    dtype: dtypeRaw === 'float32' ? 'float32' : dtypeRaw === 'float16' ? 'float16' : 'bfloat16',
    labels: classLabels(config),
  }
}
