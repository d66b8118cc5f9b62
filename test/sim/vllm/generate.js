// @ts-check
/**
 * What every route of the simulated vLLM shares: the request context, the toy tokenizer, model-name checks
 * (gateway-facts §0.3, §0.5, §3.2: any served name routes, a missing or empty `model` means the first one,
 * responses echo the first one, another name is 404), and one generation loop that paces tokens
 * (INFERADMIN_SIM_TTFT_MS, INFERADMIN_SIM_TOKENS_PER_S), stops when the client goes away (vLLM's
 * `@with_cancellation`, §3: a disconnect aborts the request) and keeps /metrics and the GPU load current.
 */
import { createHash } from 'node:crypto'
import { ApiError } from './errors.js'

/** @typedef {import('node:http').ServerResponse} Res */

/**
 * @typedef {object} ApiCtx
 * @property {import('./versions.js').VersionInfo} v
 * @property {string[]} servedNames
 * @property {string} root            `--model` as given (the cards' `root`)
 * @property {number} maxModelLen
 * @property {import('./routes.js').Tasks} tasks
 * @property {number} hiddenSize
 * @property {string[]} labels        classifier labels (config.json `id2label`)
 * @property {import('./metrics.js').Stats} stats
 * @property {number} tokensPerS
 * @property {number} ttftMs
 * @property {() => void} loadChanged
 * @property {() => boolean} dead
 * @property {() => boolean} [garbled]  weights discarded by a level-2 sleep and not reloaded: garbage out (sleep.js)
 */

export const WORDS = (
  'the simulated workstation answers every prompt with the same careful words so tests can compare them ' +
  'while the gpu stays cool and the model weights never leave the cache of this demo machine'
).split(' ')

const VOCAB = 151936
/** token id → text, learnt from what this server tokenized, so /detokenize gives the text back */
const pieces = new Map()

/** Toy tokenizer: pieces of up to 4 characters (≈ 4 characters per token), ids hashed into the vocabulary. @param {string} text */
export function encode(text) {
  /** @type {number[]} */
  const ids = []
  const chars = [...text]
  for (let i = 0; i < chars.length; i += 4) {
    const piece = chars.slice(i, i + 4).join('')
    const id = 1000 + (createHash('sha256').update(piece).digest().readUInt32BE(0) % (VOCAB - 1000))
    pieces.set(id, piece)
    ids.push(id)
  }
  return ids
}

/** @param {number[]} ids */
export const decode = (ids) => ids.map((id) => pieces.get(id) ?? ` ${WORDS[id % WORDS.length]}`).join('')

/** Token count of a text (at least 1). @param {string} s */
export const countTokens = (s) => Math.max(1, Math.ceil([...s].length / 4))

/**
 * The prompt a chat template would render (Qwen-style), so /tokenize with `messages` and the chat usage agree.
 * @param {{role?: unknown, content?: unknown}[]} messages
 */
export const renderChat = (messages) =>
  messages
    .map((m) => `<|im_start|>${m.role}\n${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}<|im_end|>\n`)
    .join('') + '<|im_start|>assistant\n'

/**
 * The served name a request resolves to: any served name, or none/empty → the first; responses always echo
 * the first (`check_model`, `config/model.py` L261–268). Unknown → 404 NotFoundError with param "model".
 * @param {ApiCtx} ctx
 * @param {unknown} model
 */
export function checkModel(ctx, model) {
  if (model !== undefined && model !== null && model !== '' && !ctx.servedNames.includes(String(model))) {
    throw new ApiError(404, 'NotFoundError', `The model \`${model}\` does not exist.`, 'model')
  }
  return ctx.servedNames[0] ?? ''
}

/** @param {string} prompt @param {number} seed */
export function completionWords(prompt, seed) {
  const h = createHash('sha256').update(`${seed}:${prompt}`).digest()
  const natural = 12 + ((h[0] ?? 0) % 13)
  /** @type {string[]} */
  const words = []
  for (let i = 0; i < natural; i++) words.push(WORDS[((h[(i + 1) % h.length] ?? 0) + i * 7) % WORDS.length] ?? 'token')
  words[0] = (words[0] ?? 'the').replace(/^./, (c) => c.toUpperCase())
  words[words.length - 1] += '.'
  return words
}

/** A delay that ends early when `signal` aborts. @param {number} ms @param {AbortSignal} signal */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined)
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve(undefined)
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

/**
 * Run one generation: pace tokens, keep statistics and the GPU load current; stop at once when `signal`
 * aborts (the running gauge and the load drop, `finished_reason="abort"` is counted).
 * @param {ApiCtx} ctx
 * @param {{prompt: string, promptTokens: number, maxTokens?: number, seed: number}} g
 * @param {(word: string, i: number) => void} onToken
 * @param {AbortSignal} signal
 */
export async function generate(ctx, g, onToken, signal) {
  const s = ctx.stats
  const words = completionWords(g.prompt, g.seed).map((w) => (ctx.garbled?.() ? '!!!!'.slice(0, 1 + (w.length % 4)) : w))
  const n = g.maxTokens !== undefined ? Math.min(g.maxTokens, words.length) : words.length
  const reason = g.maxTokens !== undefined && g.maxTokens < words.length ? 'length' : 'stop'
  const t0 = Date.now()
  s.running++
  s.kvTokensInUse += g.promptTokens
  ctx.loadChanged()
  let produced = 0
  try {
    await sleep(ctx.ttftMs, signal)
    if (!signal.aborted) s.ttft.observe((Date.now() - t0) / 1000)
    s.promptTokens += g.promptTokens
    for (let i = 0; i < n; i++) {
      if (signal.aborted || ctx.dead()) break
      if (i > 0) {
        const t = Date.now()
        await sleep(1000 / ctx.tokensPerS, signal)
        if (signal.aborted) break
        s.itl.observe((Date.now() - t) / 1000)
      }
      onToken(i === 0 ? (words[i] ?? '') : ` ${words[i]}`, i)
      produced++
      s.generationTokens++
      s.kvTokensInUse++
    }
  } finally {
    s.running--
    s.kvTokensInUse -= g.promptTokens + produced
    const r = signal.aborted ? 'abort' : reason
    s.success[r] = (s.success[r] ?? 0) + 1
    s.e2e.observe((Date.now() - t0) / 1000)
    s.queue.observe(0)
    s.promptHist.observe(g.promptTokens)
    s.genHist.observe(produced)
    ctx.loadChanged()
  }
  return { produced, reason: /** @type {'stop' | 'length'} */ (reason), aborted: signal.aborted }
}

/** Count a pooling request (no generation) in the statistics. @param {ApiCtx} ctx @param {number} promptTokens */
export function countPooling(ctx, promptTokens) {
  ctx.stats.promptTokens += promptTokens
  ctx.stats.success.stop = (ctx.stats.success.stop ?? 0) + 1
  ctx.stats.promptHist.observe(promptTokens)
}

/** @param {Res} res @param {unknown} body @param {number} [code] */
export function sendJson(res, body, code = 200) {
  res.writeHead(code, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

/**
 * Start an SSE response; the writer sends `data: …` lines (or `event: …` + `data: …` for typed events)
 * and writes nothing once the client has gone.
 * @param {Res} res
 * @param {AbortSignal} signal
 */
export function startSse(res, signal) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' })
  return (/** @type {unknown} */ obj, /** @type {string} */ event = '') => {
    if (signal.aborted || res.destroyed) return
    res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`)
  }
}

/** Usage block of the OpenAI routes. @param {number} prompt @param {number} completion */
export const usage = (prompt, completion) => ({
  prompt_tokens: prompt,
  total_tokens: prompt + completion,
  completion_tokens: completion,
  prompt_tokens_details: null,
})
