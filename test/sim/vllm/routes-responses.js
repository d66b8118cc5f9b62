// @ts-check
/**
 * The two other generation APIs vLLM serves for `generate` models (gateway-facts §3 table):
 * - OpenAI Responses, `POST /v1/responses` (since PR #20504, 2025-07-06): a `response` object, or typed SSE
 *   events (`event: response.created` … `response.completed`; no `[DONE]`, §6.2 **[unsure]**);
 * - Anthropic Messages, `POST /v1/messages` and `/v1/messages/count_tokens` (since PR #22627, ≈v0.11.1):
 *   `model` and `max_tokens` required, Anthropic's message object or its event stream
 *   (`message_start` … `message_stop`); errors in Anthropic's shape (`anthropic/api_router.py`).
 */
import { randomBytes } from 'node:crypto'
import { ApiError, PyTuple, missing } from './errors.js'
import { checkModel, encode, generate, renderChat, sendJson, startSse } from './generate.js'
import { checkLength } from './routes-openai.js'

/** @typedef {import('./generate.js').ApiCtx} ApiCtx */
/** @typedef {import('./routes-openai.js').Call} Call */
/** @typedef {import('./generate.js').Res} Res */

/** @param {unknown} input Responses `input`: a string or a list of messages/items */
function responsesPrompt(input) {
  if (typeof input === 'string') return renderChat([{ role: 'user', content: input }])
  if (!Array.isArray(input)) return ''
  return renderChat(input.map((m) => ({ role: m?.role ?? 'user', content: m?.content ?? '' })))
}

/** @param {ApiCtx} ctx @param {Record<string, any>} body @param {Res} res @param {Call} call */
export async function handleResponses(ctx, body, res, call) {
  if (body.input === undefined || body.input === null) throw call.validation([missing('input', body)])
  const model = checkModel(ctx, body.model)
  const prompt = (body.instructions ? renderChat([{ role: 'system', content: body.instructions }]) : '') + responsesPrompt(body.input)
  const promptTokens = encode(prompt).length
  const maxTokens = body.max_output_tokens ?? undefined
  checkLength(ctx, promptTokens, maxTokens, 'messages')
  const id = `resp_${randomBytes(16).toString('hex')}`
  const msgId = `msg_${randomBytes(16).toString('hex')}`
  const createdAt = Math.floor(Date.now() / 1000)
  const g = { prompt, promptTokens, maxTokens, seed: Number(body.seed ?? 0) }
  const message = (/** @type {string} */ text, /** @type {string} */ status) => ({
    id: msgId,
    content: status === 'completed' ? [{ annotations: [], text, type: 'output_text', logprobs: null }] : [],
    role: 'assistant',
    status,
    type: 'message',
  })
  const response = (/** @type {string} */ status, /** @type {unknown[]} */ output, /** @type {number | null} */ produced) => ({
    id,
    created_at: createdAt,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    metadata: body.metadata ?? null,
    model,
    object: 'response',
    output,
    parallel_tool_calls: true,
    temperature: body.temperature ?? 1.0,
    tool_choice: 'auto',
    tools: [],
    top_p: body.top_p ?? 1.0,
    background: false,
    max_output_tokens: maxTokens ?? ctx.maxModelLen - promptTokens,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: null,
    service_tier: 'auto',
    status,
    text: null,
    truncation: 'disabled',
    usage:
      produced === null
        ? null
        : {
            input_tokens: promptTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: produced,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: promptTokens + produced,
          },
    user: null,
  })
  if (!body.stream) {
    let text = ''
    const r = await generate(ctx, g, (w) => (text += w), call.signal)
    if (r.aborted) return void res.destroy()
    return sendJson(res, response('completed', [message(text, 'completed')], r.produced))
  }
  const sse = startSse(res, call.signal)
  let seq = 0
  const send = (/** @type {string} */ type, /** @type {Record<string, unknown>} */ fields) =>
    sse({ type, sequence_number: seq++, ...fields }, type)
  send('response.created', { response: response('in_progress', [], null) })
  send('response.in_progress', { response: response('in_progress', [], null) })
  send('response.output_item.added', { output_index: 0, item: message('', 'in_progress') })
  const part = { type: 'output_text', text: '', annotations: [], logprobs: [] }
  send('response.content_part.added', { item_id: msgId, output_index: 0, content_index: 0, part })
  let text = ''
  const r = await generate(
    ctx,
    g,
    (w) => {
      text += w
      send('response.output_text.delta', { item_id: msgId, output_index: 0, content_index: 0, delta: w, logprobs: [] })
    },
    call.signal,
  )
  if (r.aborted) return void res.destroy()
  send('response.output_text.done', { item_id: msgId, output_index: 0, content_index: 0, text, logprobs: [] })
  send('response.content_part.done', { item_id: msgId, output_index: 0, content_index: 0, part: { ...part, text } })
  send('response.output_item.done', { output_index: 0, item: message(text, 'completed') })
  send('response.completed', { response: response('completed', [message(text, 'completed')], r.produced) })
  res.end()
}

/** @param {Record<string, any>} body */
function anthropicPrompt(body) {
  const text = (/** @type {unknown} */ c) =>
    typeof c === 'string' ? c : Array.isArray(c) ? c.map((b) => (typeof b?.text === 'string' ? b.text : '')).join('') : ''
  const system = body.system ? [{ role: 'system', content: text(body.system) }] : []
  return renderChat([...system, ...body.messages.map((/** @type {any} */ m) => ({ role: m.role, content: text(m.content) }))])
}

/**
 * Validation as `AnthropicMessagesRequest` does it: `model` (non-empty), `messages`, `max_tokens` (> 0).
 * @param {Record<string, any>} body @param {Call} call @param {boolean} needMaxTokens
 */
function checkAnthropic(body, call, needMaxTokens) {
  const errs = []
  if (body.model === undefined) errs.push(missing('model', body))
  if (!Array.isArray(body.messages)) errs.push(missing('messages', body))
  if (needMaxTokens && body.max_tokens === undefined) errs.push(missing('max_tokens', body))
  const invalid = (/** @type {string} */ field, /** @type {string} */ msg) =>
    errs.push({
      type: 'value_error',
      loc: new PyTuple(['body', field]),
      msg: `Value error, ${msg}`,
      input: body[field],
      ctx: { error: {} },
    })
  if (!errs.length && !body.model) invalid('model', 'Model is required')
  if (!errs.length && needMaxTokens && !(Number(body.max_tokens) > 0)) invalid('max_tokens', 'max_tokens must be positive')
  if (errs.length) throw call.validation(errs)
}

/**
 * Errors raised inside the Anthropic handlers (not request validation, which the app-wide handler answers in
 * the OpenAI shape) are translated to Anthropic's shape (`translate_error_response`).
 * @template T @param {() => T} fn @returns {T}
 */
function anthropicErrors(fn) {
  try {
    return fn()
  } catch (e) {
    if (e instanceof ApiError) e.anthropic = true
    throw e
  }
}

/** @param {ApiCtx} ctx @param {Record<string, any>} body @param {Res} res @param {Call} call */
export async function handleMessages(ctx, body, res, call) {
  checkAnthropic(body, call, true)
  const model = anthropicErrors(() => checkModel(ctx, body.model))
  const prompt = anthropicPrompt(body)
  const promptTokens = encode(prompt).length
  const maxTokens = Number(body.max_tokens)
  anthropicErrors(() => checkLength(ctx, promptTokens, maxTokens, 'messages'))
  const id = `msg_${randomBytes(12).toString('hex')}`
  const g = { prompt, promptTokens, maxTokens, seed: 0 }
  const stop = (/** @type {'stop' | 'length'} */ reason) => (reason === 'length' ? 'max_tokens' : 'end_turn')
  if (!body.stream) {
    let text = ''
    const r = await generate(ctx, g, (w) => (text += w), call.signal)
    if (r.aborted) return void res.destroy()
    return sendJson(res, {
      id,
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text }],
      model,
      stop_reason: stop(r.reason),
      usage: { input_tokens: promptTokens, output_tokens: r.produced },
    })
  }
  const sse = startSse(res, call.signal)
  const send = (/** @type {string} */ type, /** @type {Record<string, unknown>} */ fields) => sse({ type, ...fields }, type)
  const start = { id, type: 'message', role: 'assistant', content: [], model, usage: { input_tokens: promptTokens, output_tokens: 0 } }
  send('message_start', { message: start })
  send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
  const r = await generate(ctx, g, (w) => send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: w } }), call.signal)
  if (r.aborted) return void res.destroy()
  send('content_block_stop', { index: 0 })
  send('message_delta', { delta: { stop_reason: stop(r.reason) }, usage: { input_tokens: promptTokens, output_tokens: r.produced } })
  send('message_stop', {})
  res.end()
}

/** @param {ApiCtx} ctx @param {Record<string, any>} body @param {Res} res @param {Call} call */
export function handleCountTokens(ctx, body, res, call) {
  checkAnthropic(body, call, false)
  anthropicErrors(() => checkModel(ctx, body.model))
  sendJson(res, { input_tokens: encode(anthropicPrompt(body)).length })
}
