// @ts-check
/**
 * The repositories the Hub stand-in serves (hf-hub-protocol.md §7.1) and the derived per-file
 * metadata (git blob SHA-1, LFS SHA-256, pointer SHA-1). Commits are immutable; `addCommit` makes a
 * new one on a branch (the update scenario).
 */
import { createHash } from 'node:crypto'
import {
  generatedContent,
  gitSha1,
  isLfsPath,
  lfsPointer,
  memoryContent,
  safetensorsFile,
  safetensorsHeader,
  safetensorsParams,
  textContent,
} from './content.js'

/** @typedef {import('./content.js').FileContent} FileContent */
/**
 * @typedef {object} Commit
 * @property {string} sha
 * @property {Map<string, FileContent>} files
 * @property {string} title
 * @property {string} date
 */
/**
 * @typedef {object} Repo
 * @property {string} id
 * @property {string} _id
 * @property {boolean} private
 * @property {false | 'auto' | 'manual'} gated
 * @property {string[]} tokens       tokens that may read a private or gated repo
 * @property {Record<string, string>} refs
 * @property {Map<string, Commit>} commits
 * @property {string} pipeline_tag
 * @property {string} library_name
 * @property {string[]} tags
 * @property {number} downloads
 * @property {number} likes
 * @property {number} trendingScore
 * @property {string} createdAt
 * @property {{ parameters: Record<string, number>, total: number }} [safetensors]  declared parameter counts (catalogue
 *   repositories listed without bytes); otherwise read from the safetensors headers
 */
/**
 * @typedef {object} FileMeta
 * @property {number} size
 * @property {string} oid       git blob SHA-1 (of the pointer for LFS files)
 * @property {{ oid: string, size: number, pointerSize: number } | undefined} lfs
 */

/** Token the stand-in treats as a signed-in user with access to every gated/private repo. */
export const SIM_TOKEN = 'hf_simtoken'
/** A valid token of another user that has NOT been granted access to the gated repo. */
export const SIM_TOKEN_NO_ACCESS = 'hf_simotheruser'
export const KNOWN_TOKENS = [SIM_TOKEN, SIM_TOKEN_NO_ACCESS]

/** @type {WeakMap<FileContent, Promise<FileMeta>>} */
const metaCache = new WeakMap()

/** @param {string} path @param {FileContent} c @returns {Promise<FileMeta>} */
export function fileMeta(path, c) {
  let p = metaCache.get(c)
  if (!p) {
    p = (async () => {
      if (!isLfsPath(path, c.size)) return { size: c.size, oid: await gitSha1(c), lfs: undefined }
      const sha = await c.sha256()
      const pointer = lfsPointer(sha, c.size)
      const oid = await gitSha1(textContent(pointer))
      return { size: c.size, oid, lfs: { oid: sha, size: c.size, pointerSize: Buffer.byteLength(pointer) } }
    })()
    metaCache.set(c, p)
  }
  return p
}

let commitCounter = 0
/**
 * @param {Repo} repo @param {Map<string, FileContent>} files @param {string} title @param {string} [parent]
 * @param {{ sha?: string, date?: string }} [fixed] a given commit id and date (catalogue, seeded copies)
 */
function makeCommit(repo, files, title, parent = '', fixed = {}) {
  const h = createHash('sha1').update(`${repo.id}\n${parent}\n${title}\n${++commitCounter}\n`)
  for (const [p, c] of [...files].sort(([a], [b]) => a.localeCompare(b))) h.update(`${p}:${c.size}\n`)
  const date = fixed.date ?? new Date(Date.UTC(2026, 0, 1) + commitCounter * 86_400_000).toISOString()
  /** @type {Commit} */
  const commit = { sha: fixed.sha ?? h.digest('hex'), files, title, date }
  repo.commits.set(commit.sha, commit)
  return commit
}

/**
 * Adds a commit on `branch` (default main) on top of its current head. `files` maps a path to new
 * content (string, Buffer, or FileContent) or to null to delete it.
 * @param {Repo} repo
 * @param {Record<string, string | Buffer | FileContent | null>} files
 * @param {{ title?: string, branch?: string, sha?: string, date?: string }} [opts]
 */
export function addCommit(repo, files, opts = {}) {
  const branch = opts.branch ?? 'main'
  const parentSha = repo.refs[branch]
  const parent = parentSha ? repo.commits.get(parentSha) : undefined
  const next = new Map(parent?.files ?? [])
  for (const [path, v] of Object.entries(files)) {
    if (v === null) next.delete(path)
    else if (typeof v === 'string') next.set(path, textContent(v))
    else if (Buffer.isBuffer(v)) next.set(path, memoryContent(v))
    else next.set(path, v)
  }
  const title = opts.title ?? `Update ${Object.keys(files).join(', ')}`
  const commit = makeCommit(repo, next, title, parentSha, { sha: opts.sha, date: opts.date })
  repo.refs[branch] = commit.sha
  return commit.sha
}

/** @param {Partial<Repo> & { id: string }} p @returns {Repo} */
export function newRepo(p) {
  return {
    _id: createHash('sha1').update(p.id).digest('hex').slice(0, 24),
    private: false,
    gated: false,
    tokens: [],
    refs: {},
    commits: new Map(),
    pipeline_tag: 'text-generation',
    library_name: 'transformers',
    tags: ['transformers', 'safetensors', 'text-generation'],
    downloads: 0,
    likes: 0,
    trendingScore: 0,
    createdAt: '2025-06-01T00:00:00.000Z',
    ...p,
  }
}

/** A tiny Llama-shaped config (the simulated vLLM reads it). @param {number} layers */
function llamaConfig(layers) {
  return JSON.stringify(
    {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: 64,
      intermediate_size: 128,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      num_hidden_layers: layers,
      vocab_size: 256,
      max_position_embeddings: 2048,
      torch_dtype: 'float32',
      rms_norm_eps: 1e-5,
    },
    null,
    2,
  )
}

function tokenizerFiles() {
  const vocab = /** @type {Record<string, number>} */ ({})
  for (let i = 0; i < 256; i++) vocab[`<0x${i.toString(16).padStart(2, '0').toUpperCase()}>`] = i
  return {
    'tokenizer.json': JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab, merges: [] }, added_tokens: [] }),
    'tokenizer_config.json': JSON.stringify({
      bos_token: '<s>',
      eos_token: '</s>',
      model_max_length: 2048,
      tokenizer_class: 'PreTrainedTokenizerFast',
    }),
    'special_tokens_map.json': JSON.stringify({ bos_token: '<s>', eos_token: '</s>' }),
  }
}

/**
 * tensors of one shard: `rows` x 64 F32 matrices, named per layer.
 * @param {number} first @param {number} count @param {number} rows
 * @returns {{ name: string, dtype: 'F32', shape: number[] }[]}
 */
function layerTensors(first, count, rows) {
  return Array.from({ length: count }, (_, i) => ({
    name: `model.layers.${first + i}.mlp.weight`,
    dtype: /** @type {const} */ ('F32'),
    shape: [rows, 64],
  }))
}

/** @param {Record<string, number[]>} shards name → layer indexes @param {number} totalSize */
function indexJson(shards, totalSize) {
  /** @type {Record<string, string>} */
  const weight_map = {}
  for (const [file, layers] of Object.entries(shards)) for (const l of layers) weight_map[`model.layers.${l}.mlp.weight`] = file
  return JSON.stringify({ metadata: { total_size: totalSize }, weight_map }, null, 2)
}

/**
 * The default repositories (§7.1 of the protocol reference):
 * - inferadmin-sim/tiny-chat: public, two commits on main (the second changes shard 2 and README).
 * - inferadmin-sim/tiny-gated: gated ("manual"); hf_simtoken has access.
 * - inferadmin-sim/tiny-private: private; hf_simtoken has access.
 * - inferadmin-sim/big-4g: 4 × 1 GiB safetensors shards generated on the fly (benchmarks).
 * - inferadmin-sim/many-small: 200 safetensors shards of 100 KB–5 MB generated on the fly (benchmarks:
 *   per-request overhead); only with INFERADMIN_SIM_MANY_SMALL=1 (listing it hashes ~500 MB).
 * @returns {Map<string, Repo>}
 */
export function defaultRepos() {
  /** @type {Map<string, Repo>} */
  const repos = new Map()
  const add = (/** @type {Repo} */ r) => repos.set(r.id, r)

  // tiny-chat: shard 1 ≈ 1 MiB, shard 2 ≈ 6 MiB, so a throttled pull has a phase where one file is
  // complete and another is partial (kill -9 / resume tests).
  const chat = newRepo({ id: 'inferadmin-sim/tiny-chat', downloads: 1200, likes: 12, trendingScore: 30 })
  const s1 = safetensorsFile(layerTensors(0, 1, 4096), 1) // 1 MiB of data
  const s2 = safetensorsFile(layerTensors(1, 3, 8192), 2) // 6 MiB
  const chatFiles = {
    '.gitattributes': '*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n',
    'README.md': '# tiny-chat\n\nA tiny Llama-shaped model served by the InferAdmin Hub stand-in.\n',
    'config.json': llamaConfig(4),
    'generation_config.json': JSON.stringify({ bos_token_id: 1, eos_token_id: 2 }),
    ...tokenizerFiles(),
    'model-00001-of-00002.safetensors': s1,
    'model-00002-of-00002.safetensors': s2,
    'model.safetensors.index.json': indexJson(
      { 'model-00001-of-00002.safetensors': [0], 'model-00002-of-00002.safetensors': [1, 2, 3] },
      s1.length + s2.length,
    ),
    // formats vLLM skips when safetensors exist
    'pytorch_model.bin': Buffer.alloc(64 * 1024, 7),
    'original/consolidated.00.pth': Buffer.alloc(32 * 1024, 9),
  }
  addCommit(chat, chatFiles, { title: 'Initial commit' })
  addCommit(
    chat,
    {
      'README.md': '# tiny-chat\n\nA tiny Llama-shaped model served by the InferAdmin Hub stand-in.\n\nv2: retrained shard 2.\n',
      'model-00002-of-00002.safetensors': safetensorsFile(layerTensors(1, 3, 8192), 22),
    },
    { title: 'Retrain shard 2' },
  )
  add(chat)

  const gated = newRepo({
    id: 'inferadmin-sim/tiny-gated',
    gated: 'manual',
    tokens: [SIM_TOKEN],
    downloads: 300,
    likes: 3,
    trendingScore: 5,
  })
  addCommit(
    gated,
    {
      '.gitattributes': '*.safetensors filter=lfs diff=lfs merge=lfs -text\n',
      'config.json': llamaConfig(2),
      ...tokenizerFiles(),
      'model.safetensors': safetensorsFile(layerTensors(0, 2, 1024), 3),
    },
    { title: 'Initial commit' },
  )
  add(gated)

  const priv = newRepo({ id: 'inferadmin-sim/tiny-private', private: true, tokens: [SIM_TOKEN], downloads: 5 })
  addCommit(
    priv,
    { 'config.json': llamaConfig(1), ...tokenizerFiles(), 'model.safetensors': safetensorsFile(layerTensors(0, 1, 256), 4) },
    { title: 'Initial commit' },
  )
  add(priv)

  // big-4g: 4 shards, each a BF16 [16384, 32768] tensor = 1 GiB of data behind a real header.
  const big = newRepo({ id: 'inferadmin-sim/big-4g', downloads: 50, likes: 1, trendingScore: 1 })
  /** @type {Record<string, import('./content.js').FileContent>} */
  const bigShards = {}
  for (let i = 0; i < 4; i++) {
    const { prefix, dataSize } = safetensorsHeader([{ name: `model.layers.${i}.weight`, dtype: 'BF16', shape: [16384, 32768] }])
    bigShards[`model-0000${i + 1}-of-00004.safetensors`] = generatedContent({ prefix, dataSize, seed: 1000 + i })
  }
  addCommit(big, { 'config.json': llamaConfig(4), ...tokenizerFiles(), ...bigShards }, { title: 'Initial commit' })
  add(big)

  if (process.env.INFERADMIN_SIM_MANY_SMALL === '1') add(manySmall())
  return repos
}

/** many-small: 200 shards, each one BF16 tensor of 100 KB–5 MB (sizes from a fixed xorshift sequence). */
function manySmall() {
  const small = newRepo({ id: 'inferadmin-sim/many-small', downloads: 10, likes: 1, trendingScore: 1 })
  /** @type {Record<string, import('./content.js').FileContent>} */
  const smallShards = {}
  let x = 0x9e3779b9
  for (let i = 0; i < 200; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    const bytes = 100_000 + (x % 4_900_000)
    const cols = Math.max(1, Math.floor(bytes / 2 / 256))
    const { prefix, dataSize } = safetensorsHeader([{ name: `model.layers.${i}.weight`, dtype: 'BF16', shape: [256, cols] }])
    smallShards[`model-${String(i + 1).padStart(5, '0')}-of-00200.safetensors`] = generatedContent({ prefix, dataSize, seed: 5000 + i })
  }
  addCommit(small, { 'config.json': llamaConfig(200), ...tokenizerFiles(), ...smallShards }, { title: 'Initial commit' })
  return small
}

/**
 * Parameter counts of a commit's safetensors files, as the Hub's `safetensors` field (declared ones for a
 * catalogue repository listed without bytes). @param {Commit} commit @param {Repo} [repo]
 */
export async function commitSafetensors(commit, repo) {
  if (repo?.safetensors) return repo.safetensors
  /** @type {Record<string, number>} */
  const parameters = {}
  let any = false
  for (const [path, c] of commit.files) {
    if (!path.endsWith('.safetensors') || path.includes('/')) continue
    any = true
    for (const [dtype, n] of Object.entries(await safetensorsParams(c))) parameters[dtype] = (parameters[dtype] ?? 0) + n
  }
  if (!any) return undefined
  return { parameters, total: Object.values(parameters).reduce((a, b) => a + b, 0) }
}
