// @ts-check
/**
 * Seeds small but valid models into a Hugging Face hub cache directory (a model store), in the layout the
 * Python and JS clients write (shared/reference/hf-hub-protocol.md §2.2–2.3): blobs named by sha256 (LFS
 * files) or git-sha1, relative symlinks under snapshots/<commit>/, refs/main without a newline.
 * Weight files are valid safetensors; a large `weightBytes` is written as a sparse file, so a model can
 * "weigh" 1.4 GiB for the simulated vLLM's memory arithmetic without using that disk space.
 */
import { createHash } from 'node:crypto'
import {
  closeSync,
  createReadStream,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { dirname, join, relative } from 'node:path'

/**
 * @typedef {object} SeedOptions
 * @property {string} [repo]          org/name
 * @property {'chat' | 'embed' | 'rerank' | 'transcribe'} [kind]
 * @property {number} [weightBytes]   declared size of model.safetensors (sparse beyond the real tensors)
 * @property {Record<string, unknown>} [config]  overrides of config.json
 */

/**
 * Shapes of the presets: a Qwen3-0.6B-like decoder, a small BERT-like embedding model, a cross-encoder reranker
 * (one label: vLLM enables /score and /rerank for it) and a Whisper-like speech-to-text model (transcription task).
 */
const PRESETS = {
  chat: {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    hidden_size: 1024,
    intermediate_size: 3072,
    num_hidden_layers: 28,
    num_attention_heads: 16,
    num_key_value_heads: 8,
    head_dim: 128,
    max_position_embeddings: 40960,
    vocab_size: 151936,
    torch_dtype: 'bfloat16',
    rope_theta: 1000000,
    tie_word_embeddings: true,
  },
  embed: {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: 384,
    intermediate_size: 1536,
    num_hidden_layers: 6,
    num_attention_heads: 12,
    max_position_embeddings: 512,
    vocab_size: 30522,
    torch_dtype: 'float32',
  },
  rerank: {
    architectures: ['XLMRobertaForSequenceClassification'],
    model_type: 'xlm-roberta',
    hidden_size: 384,
    intermediate_size: 1536,
    num_hidden_layers: 6,
    num_attention_heads: 12,
    max_position_embeddings: 514,
    vocab_size: 250002,
    id2label: { 0: 'LABEL_0' },
    torch_dtype: 'float32',
  },
  transcribe: {
    architectures: ['WhisperForConditionalGeneration'],
    model_type: 'whisper',
    d_model: 384,
    encoder_layers: 4,
    decoder_layers: 4,
    num_hidden_layers: 4,
    encoder_attention_heads: 6,
    decoder_attention_heads: 6,
    num_mel_bins: 80,
    max_source_positions: 1500,
    max_target_positions: 448,
    vocab_size: 51865,
    torch_dtype: 'float32',
  },
}

/** @type {Record<string, string>} */
const DEFAULT_REPO = {
  chat: 'inferadmin-sim/tiny-chat',
  embed: 'inferadmin-sim/tiny-embed',
  rerank: 'inferadmin-sim/tiny-rerank',
  transcribe: 'inferadmin-sim/tiny-whisper',
}

/** @param {Buffer | string} data */
const gitSha1 = (data) => {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data)
  return createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex')
}

/** @param {string} file @returns {Promise<string>} */
function sha256File(file) {
  return new Promise((res, rej) => {
    const h = createHash('sha256')
    createReadStream(file, { highWaterMark: 4 << 20 })
      .on('data', (c) => h.update(c))
      .on('end', () => res(h.digest('hex')))
      .on('error', rej)
  })
}

/**
 * Write a valid safetensors file of exactly `totalBytes` (≥ header + 64 KiB): a small embedding tensor with
 * data, then one packed BF16 tensor covering the rest (left sparse).
 * @param {string} file @param {number} totalBytes @param {number} hidden
 */
function writeSafetensors(file, totalBytes, hidden) {
  const embedRows = 32
  const embedBytes = embedRows * hidden * 2
  const headerFor = (/** @type {number} */ packed) =>
    JSON.stringify({
      __metadata__: { format: 'pt' },
      'model.embed_tokens.weight': { dtype: 'BF16', shape: [embedRows, hidden], data_offsets: [0, embedBytes] },
      'model.layers.packed.weight': { dtype: 'BF16', shape: [packed / 2], data_offsets: [embedBytes, embedBytes + packed] },
    })
  let header = headerFor(2)
  const pad = (/** @type {string} */ h) => h + ' '.repeat((8 - (Buffer.byteLength(h) % 8)) % 8)
  let packed = Math.max(2, totalBytes - 8 - Buffer.byteLength(pad(headerFor(totalBytes))) - embedBytes)
  packed -= packed % 2
  header = pad(headerFor(packed))
  const fd = openSync(file, 'w')
  try {
    const len = Buffer.alloc(8)
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(header)))
    writeSync(fd, len)
    writeSync(fd, header)
    const data = Buffer.alloc(embedBytes)
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff
    writeSync(fd, data)
    ftruncateSync(fd, 8 + Buffer.byteLength(header) + embedBytes + packed)
  } finally {
    closeSync(fd)
  }
}

/** A word-level tokenizer.json the `tokenizers` library can load. */
function tokenizerJson() {
  /** @type {Record<string, number>} */
  const vocab = { '[UNK]': 0, '<|endoftext|>': 1 }
  'the simulated workstation answers every prompt with same careful words so tests can compare them'.split(' ').forEach((w, i) => {
    vocab[w] = i + 2
  })
  return JSON.stringify(
    {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [
        { id: 1, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      ],
      normalizer: null,
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
    },
    null,
    2,
  )
}

/**
 * Seed one model into `hubDir` (e.g. <store>/ or ~/.cache/huggingface/hub). Idempotent: an existing
 * snapshot with the same commit is replaced.
 * @param {string} hubDir
 * @param {SeedOptions} [o]
 * @returns {Promise<{repo: string, commit: string, snapshotDir: string, weightBytes: number}>}
 */
export async function seedModel(hubDir, o = {}) {
  const kind = o.kind ?? 'chat'
  if (!(kind in PRESETS)) throw new Error(`unknown model kind "${kind}": use one of ${Object.keys(PRESETS).join(', ')}`)
  const repo = o.repo ?? DEFAULT_REPO[kind] ?? 'inferadmin-sim/tiny-chat'
  /** @type {Record<string, any>} */
  const config = { ...PRESETS[kind], ...(o.config ?? {}) }
  const hidden = Number(config.hidden_size ?? config.d_model ?? 64)
  const weightBytes = Math.round(Math.max(o.weightBytes ?? 256 * 1024, 128 * 1024))
  const repoDir = join(hubDir, `models--${repo.replace('/', '--')}`)
  const commit = createHash('sha1')
    .update(`inferadmin-sim:${repo}:${JSON.stringify(config)}:${weightBytes}`)
    .digest('hex')
  const snapshotDir = join(repoDir, 'snapshots', commit)
  rmSync(snapshotDir, { recursive: true, force: true })
  mkdirSync(join(repoDir, 'blobs'), { recursive: true })
  mkdirSync(snapshotDir, { recursive: true })
  /** @type {Record<string, string>} */
  const textFiles = {
    'config.json': JSON.stringify(config, null, 2),
    'tokenizer.json': tokenizerJson(),
    'tokenizer_config.json': JSON.stringify(
      {
        model_max_length: config.max_position_embeddings,
        tokenizer_class: 'PreTrainedTokenizerFast',
        eos_token: '<|endoftext|>',
        unk_token: '[UNK]',
      },
      null,
      2,
    ),
    'README.md': `---\nlibrary_name: transformers\n---\n# ${repo}\n\nA tiny model seeded by the InferAdmin simulation (test/sim/seed.js).\n`,
  }
  if (kind === 'chat')
    textFiles['generation_config.json'] = JSON.stringify({ bos_token_id: 1, eos_token_id: 1, temperature: 0.6, top_p: 0.95 }, null, 2)
  /** @param {string} name @param {string} blob */
  const link = (name, blob) => {
    const target = join(snapshotDir, name)
    symlinkSync(relative(dirname(target), join(repoDir, 'blobs', blob)), target)
  }
  for (const [name, text] of Object.entries(textFiles)) {
    const blob = gitSha1(text)
    writeFileSync(join(repoDir, 'blobs', blob), text)
    link(name, blob)
  }
  const tmp = join(repoDir, 'blobs', `seed-${process.pid}.part`)
  writeSafetensors(tmp, weightBytes, hidden)
  const sha = await sha256File(tmp)
  const blobPath = join(repoDir, 'blobs', sha)
  if (existsSync(blobPath)) rmSync(tmp)
  else renameSync(tmp, blobPath)
  link('model.safetensors', sha)
  mkdirSync(join(repoDir, 'refs'), { recursive: true })
  writeFileSync(join(repoDir, 'refs', 'main'), commit)
  return { repo, commit, snapshotDir, weightBytes }
}
