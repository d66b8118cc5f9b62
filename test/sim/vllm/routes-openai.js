// @ts-check
/**
 * /v1/chat/completions and /v1/completions of the simulated vLLM: JSON or SSE (`data: {…chunk…}` …
 * `data: [DONE]`, gateway-facts §6.2), `stream_options.include_usage` (one extra chunk with empty `choices`
 * before `[DONE]`; only with `stream: true`, else 400, §3.2), vLLM's context-length wording.
 * Text is deterministic (a function of the prompt and `seed`).
 */
import { randomBytes } from 'node:crypto'
import { ApiError, PyTuple, missing } from './errors.js'
import { checkModel, countTokens, encode, generate, renderChat, sendJson, startSse, usage } from './generate.js'

/** @typedef {import('./generate.js').ApiCtx} ApiCtx */
/** @typedef {{validation: (errors: unknown[], param?: string | null) => ApiError, signal: AbortSignal}} Call */

/**
 * @param {ApiCtx} ctx
 * @param {number} promptTokens
 * @param {number | undefined} maxTokens
 * @param {string} what "messages" | "prompt"
 */
export function checkLength(ctx, promptTokens, maxTokens, what) {
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
 * `stream_options` without `stream: true` is refused by the request model's validator (§3.2).
 * @param {Record<string, any>} body @param {Call} call
 */
export function checkStreamOptions(body, call) {
  if (body.stream_options != null && !body.stream) {
    const msg = 'Stream options can only be defined when `stream=True`.'
    throw call.validation([{ type: 'value_error', loc: new PyTuple(['body']), msg: `Value error, ${msg}`, input: body }], 'stream_options')
  }
}

/**
 * @param {ApiCtx} ctx
 * @param {'chat' | 'completion'} kind
 * @param {Record<string, any>} body
 * @param {import('./generate.js').Res} res
 * @param {Call} call
 */
export async function handleGeneration(ctx, kind, body, res, call) {
  /** @type {string} */
  let prompt
  if (kind === 'chat') {
    if (!Array.isArray(body.messages)) throw call.validation([missing('messages', body)])
    prompt = renderChat(body.messages)
  } else {
    if (body.prompt === undefined || body.prompt === null) throw call.validation([missing('prompt', body)])
    prompt = Array.isArray(body.prompt) ? body.prompt.join('\n') : String(body.prompt)
  }
  checkStreamOptions(body, call)
  const model = checkModel(ctx, body.model)
  const promptTokens = kind === 'chat' ? encode(prompt).length : countTokens(prompt)
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? (kind === 'completion' ? 16 : undefined)
  checkLength(ctx, promptTokens, maxTokens, kind === 'chat' ? 'messages' : 'prompt')
  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(16).toString('hex')}`
  const created = Math.floor(Date.now() / 1000)
  const g = { prompt, promptTokens, maxTokens, seed: Number(body.seed ?? 0) }
  if (body.stream) {
    const send = startSse(res, call.signal)
    const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion'
    const chunk = (/** @type {Record<string, unknown>} */ choice) => ({ id, object, created, model, choices: [choice] })
    if (kind === 'chat') send(chunk({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }))
    const r = await generate(
      ctx,
      g,
      (w) =>
        send(
          kind === 'chat'
            ? chunk({ index: 0, delta: { content: w }, logprobs: null, finish_reason: null })
            : chunk({ index: 0, text: w, logprobs: null, finish_reason: null, stop_reason: null }),
        ),
      call.signal,
    )
    if (r.aborted) return void res.destroy()
    send(
      kind === 'chat'
        ? chunk({ index: 0, delta: { content: '' }, logprobs: null, finish_reason: r.reason, stop_reason: null })
        : chunk({ index: 0, text: '', logprobs: null, finish_reason: r.reason, stop_reason: null }),
    )
    if (body.stream_options?.include_usage) send({ id, object, created, model, choices: [], usage: usage(promptTokens, r.produced) })
    send('[DONE]')
    res.end()
    return
  }
  let text = ''
  const r = await generate(ctx, g, (w) => (text += w), call.signal)
  if (r.aborted) return void res.destroy()
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
  sendJson(res, {
    id,
    object: kind === 'chat' ? 'chat.completion' : 'text_completion',
    created,
    model,
    choices: [choice],
    service_tier: null,
    system_fingerprint: null,
    usage: usage(promptTokens, r.produced),
    prompt_logprobs: null,
    kv_transfer_params: null,
  })
}
