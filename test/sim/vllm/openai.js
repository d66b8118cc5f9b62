// @ts-check
/**
 * OpenAI-compatible endpoints of the simulated vLLM: /v1/chat/completions, /v1/completions (JSON or SSE
 * with `data: [DONE]`), /v1/embeddings. Text is deterministic (a function of the prompt), pacing follows
 * INFERADMIN_SIM_TTFT_MS and INFERADMIN_SIM_TOKENS_PER_S, and the statistics feed /metrics and nvidia-smi.
 */
import { createHash, randomBytes } from 'node:crypto'

/** @typedef {import('node:http').IncomingMessage} Req */
/** @typedef {import('node:http').ServerResponse} Res */

/**
 * @typedef {object} ApiCtx
 * @property {import('./versions.js').VersionInfo} v
 * @property {string[]} servedNames
 * @property {string} root
 * @property {number} maxModelLen
 * @property {boolean} pooling
 * @property {number} hiddenSize
 * @property {import('./metrics.js').Stats} stats
 * @property {number} tokensPerS
 * @property {number} ttftMs
 * @property {() => void} loadChanged
 * @property {() => boolean} dead
 */

const WORDS = (
  'the simulated workstation answers every prompt with the same careful words so tests can compare them ' +
  'while the gpu stays cool and the model weights never leave the cache of this demo machine'
).split(' ')

export class ApiError extends Error {
  /** @param {number} code @param {string} type @param {string} message */
  constructor(code, type, message) {
    super(message)
    this.code = code
    this.type = type
  }
}

/** @param {ApiCtx} ctx @param {ApiError} e */
export function errorBody(ctx, e) {
  const inner = { message: e.message, type: e.type, param: null, code: e.code }
  return ctx.v.errorShape === 'wrapped' ? { error: inner } : { object: 'error', ...inner }
}

/** Rough token count (≈ 4 characters per token). @param {string} s */
const countTokens = (s) => Math.max(1, Math.ceil(s.length / 4))

/** @param {string} prompt @param {number} seed */
function completionWords(prompt, seed) {
  const h = createHash('sha256').update(`${seed}:${prompt}`).digest()
  const natural = 12 + ((h[0] ?? 0) % 13)
  /** @type {string[]} */
  const words = []
  for (let i = 0; i < natural; i++) words.push(WORDS[((h[(i + 1) % h.length] ?? 0) + i * 7) % WORDS.length] ?? 'token')
  words[0] = (words[0] ?? 'the').replace(/^./, (c) => c.toUpperCase())
  words[words.length - 1] += '.'
  return words
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * @param {ApiCtx} ctx
 * @param {Record<string, any>} body
 */
function checkModel(ctx, body) {
  const m = body.model
  if (m !== undefined && m !== null && !ctx.servedNames.includes(m)) {
    throw new ApiError(404, 'NotFoundError', `The model \`${m}\` does not exist.`)
  }
  return ctx.servedNames[0] ?? ''
}

/**
 * @param {ApiCtx} ctx
 * @param {number} promptTokens
 * @param {number | undefined} maxTokens
 * @param {string} what "messages" | "prompt"
 */
function checkLength(ctx, promptTokens, maxTokens, what) {
  const want = promptTokens + (maxTokens ?? 0)
  if (want > ctx.maxModelLen) {
    throw new ApiError(
      400,
      'BadRequestError',
      `This model's maximum context length is ${ctx.maxModelLen} tokens. However, you requested ${want} tokens ` +
        `(${promptTokens} in the ${what}, ${maxTokens ?? 0} in the completion). Please reduce the length of the ${what} or completion.`,
    )
  }
}

/**
 * Run one generation: pace tokens, keep statistics and GPU load up to date.
 * @param {ApiCtx} ctx
 * @param {{prompt: string, promptTokens: number, maxTokens?: number, seed: number}} g
 * @param {(word: string, i: number) => void} onToken
 * @param {AbortSignal} signal
 */
async function generate(ctx, g, onToken, signal) {
  const s = ctx.stats
  const words = completionWords(g.prompt, g.seed)
  const n = g.maxTokens !== undefined ? Math.min(g.maxTokens, words.length) : words.length
  const reason = g.maxTokens !== undefined && g.maxTokens < words.length ? 'length' : 'stop'
  const t0 = Date.now()
  s.running++
  s.kvTokensInUse += g.promptTokens
  ctx.loadChanged()
  let produced = 0
  try {
    await sleep(ctx.ttftMs)
    s.ttft.observe((Date.now() - t0) / 1000)
    s.promptTokens += g.promptTokens
    for (let i = 0; i < n; i++) {
      if (signal.aborted || ctx.dead()) break
      if (i > 0) {
        const t = Date.now()
        await sleep(1000 / ctx.tokensPerS)
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
  return { produced, reason: /** @type {'stop' | 'length'} */ (reason) }
}

/** @param {Res} res */
function startSse(res) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' })
  return (/** @type {unknown} */ obj) => res.write(`data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`)
}

/**
 * @param {ApiCtx} ctx
 * @param {'chat' | 'completion'} kind
 * @param {Record<string, any>} body
 * @param {Res} res
 * @param {AbortSignal} signal
 */
export async function handleGeneration(ctx, kind, body, res, signal) {
  if (ctx.pooling) {
    throw new ApiError(400, 'BadRequestError', `The model does not support ${kind === 'chat' ? 'Chat Completions' : 'Completions'} API`)
  }
  const model = checkModel(ctx, body)
  /** @type {string} */
  let prompt
  if (kind === 'chat') {
    if (!Array.isArray(body.messages))
      throw new ApiError(400, 'BadRequestError', "[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required'}]")
    prompt = body.messages
      .map((/** @type {any} */ m) => `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`)
      .join('\n')
  } else {
    if (body.prompt === undefined)
      throw new ApiError(400, 'BadRequestError', "[{'type': 'missing', 'loc': ('body', 'prompt'), 'msg': 'Field required'}]")
    prompt = Array.isArray(body.prompt) ? body.prompt.join('\n') : String(body.prompt)
  }
  const promptTokens = countTokens(prompt) + (kind === 'chat' ? 4 * body.messages.length : 0)
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? (kind === 'completion' ? 16 : undefined)
  checkLength(ctx, promptTokens, maxTokens, kind === 'chat' ? 'messages' : 'prompt')
  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(16).toString('hex')}`
  const created = Math.floor(Date.now() / 1000)
  const seed = Number(body.seed ?? 0)
  const g = { prompt, promptTokens, maxTokens, seed }
  const usage = (/** @type {number} */ n) => ({
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + n,
    completion_tokens: n,
    prompt_tokens_details: null,
  })
  const object = kind === 'chat' ? 'chat.completion' : 'text_completion'
  if (body.stream) {
    const send = startSse(res)
    const chunk = (/** @type {Record<string, unknown>} */ choice) => ({
      id,
      object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
      created,
      model,
      choices: [choice],
    })
    if (kind === 'chat') send(chunk({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }))
    const r = await generate(
      ctx,
      g,
      (w) => {
        send(
          kind === 'chat'
            ? chunk({ index: 0, delta: { content: w }, logprobs: null, finish_reason: null })
            : chunk({ index: 0, text: w, logprobs: null, finish_reason: null, stop_reason: null }),
        )
      },
      signal,
    )
    send(
      kind === 'chat'
        ? chunk({ index: 0, delta: { content: '' }, logprobs: null, finish_reason: r.reason, stop_reason: null })
        : chunk({ index: 0, text: '', logprobs: null, finish_reason: r.reason, stop_reason: null }),
    )
    if (body.stream_options?.include_usage) send({ id, object: chunk({}).object, created, model, choices: [], usage: usage(r.produced) })
    send('[DONE]')
    res.end()
    return
  }
  let text = ''
  const r = await generate(
    ctx,
    g,
    (w) => {
      text += w
    },
    signal,
  )
  const choice =
    kind === 'chat'
      ? {
          index: 0,
          message: {
            role: 'assistant',
            content: text,
            refusal: null,
            annotations: null,
            audio: null,
            function_call: null,
            tool_calls: [],
            reasoning_content: null,
          },
          logprobs: null,
          finish_reason: r.reason,
          stop_reason: null,
        }
      : { index: 0, text, logprobs: null, finish_reason: r.reason, stop_reason: null, prompt_logprobs: null }
  const out = {
    id,
    object,
    created,
    model,
    choices: [choice],
    service_tier: null,
    system_fingerprint: null,
    usage: usage(r.produced),
    prompt_logprobs: null,
    kv_transfer_params: null,
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(out))
}

/**
 * @param {ApiCtx} ctx
 * @param {Record<string, any>} body
 * @param {Res} res
 */
export function handleEmbeddings(ctx, body, res) {
  if (!ctx.pooling) throw new ApiError(400, 'BadRequestError', 'The model does not support Embeddings API')
  const model = checkModel(ctx, body)
  if (body.input === undefined)
    throw new ApiError(400, 'BadRequestError', "[{'type': 'missing', 'loc': ('body', 'input'), 'msg': 'Field required'}]")
  const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input)]
  const dim = Math.min(ctx.hiddenSize, 4096)
  let promptTokens = 0
  const data = inputs.map((text, index) => {
    promptTokens += countTokens(text)
    const v = []
    let h = createHash('sha256').update(text).digest()
    for (let i = 0; i < dim; i++) {
      if (i % 32 === 0 && i) h = createHash('sha256').update(h).digest()
      v.push(((h[i % 32] ?? 0) - 127.5) / 127.5)
    }
    const norm = Math.hypot(...v) || 1
    return { index, object: 'embedding', embedding: v.map((x) => x / norm) }
  })
  ctx.stats.promptTokens += promptTokens
  ctx.stats.success.stop = (ctx.stats.success.stop ?? 0) + 1
  const out = {
    id: `embd-${randomBytes(16).toString('hex')}`,
    object: 'list',
    created: Math.floor(Date.now() / 1000),
    model,
    data,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, completion_tokens: 0, prompt_tokens_details: null },
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(out))
}
