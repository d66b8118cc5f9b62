// @ts-check
/**
 * Pooling routes of the simulated vLLM (gateway-facts §3 table; response models of vLLM
 * `entrypoints/pooling/{embed,pooling,classify,scoring}/protocol.py`):
 * - `/v1/embeddings`: `{"object":"list","data":[{"index","object":"embedding","embedding"}],"usage"}`, floats or
 *   `encoding_format: "base64"` (little-endian float32, what the openai SDKs ask for by default); `input` as text,
 *   a list of texts, token ids, or chat `messages`; `dimensions` refused (no Matryoshka models here);
 * - `/pooling`: `data: [{"index","object":"pooling","data": […]}]`;
 * - `/classify`: `data: [{"index","label","probs","num_classes"}]`;
 * - `/score`, `/v1/score`: `data: [{"index","object":"score","score"}]` for `text_1`/`text_2` (or
 *   `queries` with `documents`/`items`, `data_1`/`data_2`): one against many, or pairwise;
 * - `/rerank`, `/v1/rerank`, `/v2/rerank`: `results: [{"index","document":{"text"},"relevance_score"}]` sorted
 *   by relevance, cut to `top_n` when > 0; usage `{prompt_tokens, total_tokens}`.
 * Vectors are deterministic bags of hashed words, so texts sharing words are close and /score and /rerank
 * agree with the embeddings (cosine similarity for embedding models, its [0, 1] image for cross-encoders).
 */
import { createHash, randomBytes } from 'node:crypto'
import { ApiError, PyTuple, missing } from './errors.js'
import { checkModel, countPooling, countTokens, decode, renderChat, sendJson, usage } from './generate.js'

/** @typedef {import('./generate.js').ApiCtx} ApiCtx */
/** @typedef {import('./routes-openai.js').Call} Call */
/** @typedef {import('./generate.js').Res} Res */

/** @param {string} word @param {number} dim */
function wordVector(word, dim) {
  const v = new Array(dim).fill(0)
  let h = createHash('sha256').update(word).digest()
  for (let i = 0; i < dim; i++) {
    if (i % 32 === 0 && i) h = createHash('sha256').update(h).digest()
    v[i] = ((h[i % 32] ?? 0) - 127.5) / 127.5
  }
  return v
}

/** A unit vector for a text: the normalised sum of its words' vectors. @param {string} text @param {number} dim */
export function embed(text, dim) {
  const sum = new Array(dim).fill(0)
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [text]
  for (const w of words) wordVector(w, dim).forEach((x, i) => (sum[i] += x))
  const norm = Math.hypot(...sum) || 1
  return sum.map((x) => x / norm)
}

/** @param {number[]} a @param {number[]} b */
const cosine = (a, b) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0)

/** @param {ApiCtx} ctx */
const dim = (ctx) => Math.min(ctx.hiddenSize, 4096)

/** Texts of a pooling `input`: a string, a list of strings, token ids or lists of token ids. @param {unknown} input */
function inputTexts(input) {
  const one = (/** @type {unknown} */ x) => (Array.isArray(x) ? decode(x.map(Number)) : String(x))
  if (Array.isArray(input) && input.length && input.every((x) => typeof x === 'number')) return [one(input)]
  return Array.isArray(input) ? input.map(one) : [one(input)]
}

/** @param {number[]} v */
const base64 = (v) => Buffer.from(new Float32Array(v).buffer).toString('base64')

/** @param {ApiCtx} ctx @param {Record<string, any>} body @param {Res} res @param {Call} call */
export function handleEmbeddings(ctx, body, res, call) {
  if (body.input === undefined && !Array.isArray(body.messages)) {
    // EmbeddingRequest is a union of the completion-style and the chat-style request
    const miss = (/** @type {string} */ cls, /** @type {string} */ f) => ({
      type: 'missing',
      loc: new PyTuple(['body', cls, f]),
      msg: 'Field required',
      input: body,
    })
    throw call.validation([miss('EmbeddingCompletionRequest', 'input'), miss('EmbeddingChatRequest', 'messages')])
  }
  const model = checkModel(ctx, body.model)
  if (body.dimensions !== undefined && body.dimensions !== null) {
    throw new ApiError(
      400,
      'BadRequestError',
      `Model "${model}" does not support matryoshka representation, changing output dimensions will lead to poor results.`,
      'dimensions',
    )
  }
  const texts = body.input !== undefined ? inputTexts(body.input) : [renderChat(body.messages)]
  let promptTokens = 0
  const data = texts.map((text, index) => {
    promptTokens += countTokens(text)
    const v = embed(text, dim(ctx))
    return { index, object: 'embedding', embedding: body.encoding_format === 'base64' ? base64(v) : v }
  })
  countPooling(ctx, promptTokens)
  sendJson(res, {
    id: `embd-${randomBytes(16).toString('hex')}`,
    object: 'list',
    created: Math.floor(Date.now() / 1000),
    model,
    data,
    usage: usage(promptTokens, 0),
  })
}

/** Class probabilities of a text (softmax over hashed logits; one sigmoid for a single label). @param {ApiCtx} ctx @param {string} text */
function classProbs(ctx, text) {
  const h = createHash('sha256').update(text).digest()
  const n = Math.max(1, ctx.labels.length)
  const logits = Array.from({ length: n }, (_, i) => ((h[i % 32] ?? 0) - 127.5) / 32)
  if (n === 1) return [1 / (1 + Math.exp(-(logits[0] ?? 0)))]
  const e = logits.map((x) => Math.exp(x))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / sum)
}

/** @param {ApiCtx} ctx @param {Record<string, any>} body @param {Res} res @param {Call} call */
export function handlePooling(ctx, body, res, call) {
  if (body.input === undefined && !Array.isArray(body.messages)) throw call.validation([missing('input', body)])
  const model = checkModel(ctx, body.model)
  const texts = body.input !== undefined ? inputTexts(body.input) : [renderChat(body.messages)]
  let promptTokens = 0
  const data = texts.map((text, index) => {
    promptTokens += countTokens(text)
    return { index, object: 'pooling', data: ctx.tasks.pooling === 'classify' ? classProbs(ctx, text) : embed(text, dim(ctx)) }
  })
  countPooling(ctx, promptTokens)
  sendJson(res, {
    id: `pool-${randomBytes(16).toString('hex')}`,
    object: 'list',
    created: Math.floor(Date.now() / 1000),
    model,
    data,
    usage: usage(promptTokens, 0),
  })
}

/** @param {ApiCtx} ctx @param {Record<string, any>} body @param {Res} res @param {Call} call */
export function handleClassify(ctx, body, res, call) {
  if (body.input === undefined && !Array.isArray(body.messages)) throw call.validation([missing('input', body)])
  const model = checkModel(ctx, body.model)
  const texts = body.input !== undefined ? inputTexts(body.input) : [renderChat(body.messages)]
  let promptTokens = 0
  const data = texts.map((text, index) => {
    promptTokens += countTokens(text)
    const probs = classProbs(ctx, text)
    const best = probs.indexOf(Math.max(...probs))
    return { index, label: ctx.labels[best] ?? `LABEL_${best}`, probs, num_classes: probs.length }
  })
  countPooling(ctx, promptTokens)
  sendJson(res, {
    id: `classify-${randomBytes(16).toString('hex')}`,
    object: 'list',
    created: Math.floor(Date.now() / 1000),
    model,
    data,
    usage: usage(promptTokens, 0),
  })
}

/** Relevance of a document to a query. @param {ApiCtx} ctx @param {string} q @param {string} d */
function relevance(ctx, q, d) {
  const c = cosine(embed(q, dim(ctx)), embed(d, dim(ctx)))
  return ctx.tasks.pooling === 'embed' ? c : (c + 1) / 2
}

/** @param {unknown} x */
const texts = (x) =>
  Array.isArray(x) ? x.map((t) => (typeof t === 'string' ? t : JSON.stringify(t))) : [typeof x === 'string' ? x : JSON.stringify(x)]

/** @param {ApiCtx} ctx @param {Record<string, any>} body @param {Res} res @param {Call} call */
export function handleScore(ctx, body, res, call) {
  const pair =
    [
      ['text_1', 'text_2'],
      ['queries', 'documents'],
      ['queries', 'items'],
      ['data_1', 'data_2'],
    ].find(([a, b]) => body[a ?? ''] !== undefined && body[b ?? ''] !== undefined) ?? null
  if (!pair) throw call.validation(['text_1', 'text_2'].filter((f) => body[f] === undefined).map((f) => missing(f, body)))
  const model = checkModel(ctx, body.model)
  const a = texts(body[pair[0] ?? ''])
  const b = texts(body[pair[1] ?? ''])
  if (a.length !== 1 && a.length !== b.length) throw new ApiError(400, 'BadRequestError', 'Input lengths must be either 1:1, 1:N or N:N')
  let promptTokens = 0
  const data = b.map((d, index) => {
    const q = a.length === 1 ? (a[0] ?? '') : (a[index] ?? '')
    promptTokens += countTokens(q) + countTokens(d)
    return { index, object: 'score', score: relevance(ctx, q, d) }
  })
  countPooling(ctx, promptTokens)
  sendJson(res, {
    id: `score-${randomBytes(16).toString('hex')}`,
    object: 'list',
    created: Math.floor(Date.now() / 1000),
    model,
    data,
    usage: usage(promptTokens, 0),
  })
}

/** @param {ApiCtx} ctx @param {Record<string, any>} body @param {Res} res @param {Call} call */
export function handleRerank(ctx, body, res, call) {
  const errs = ['query', 'documents'].filter((f) => body[f] === undefined).map((f) => missing(f, body))
  if (errs.length) throw call.validation(errs)
  const model = checkModel(ctx, body.model)
  const docs = texts(body.documents)
  const q = texts(body.query)[0] ?? ''
  let promptTokens = 0
  const results = docs.map((d, index) => {
    promptTokens += countTokens(q) + countTokens(d)
    return { index, document: ctx.v.routesByTask ? { text: d, multi_modal: null } : { text: d }, relevance_score: relevance(ctx, q, d) }
  })
  results.sort((x, y) => y.relevance_score - x.relevance_score)
  const topN = Number(body.top_n ?? 0)
  countPooling(ctx, promptTokens)
  sendJson(res, {
    id: `rerank-${randomBytes(16).toString('hex')}`,
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    results: topN > 0 && topN < docs.length ? results.slice(0, topN) : results,
  })
}
