// @ts-check
/**
 * Token and audio routes of the simulated vLLM (gateway-facts §3 table):
 * - `/tokenize` (`prompt` or chat `messages`) → `{"count","max_model_len","tokens","token_strs"}`, and
 *   `/detokenize` (`tokens`) → `{"prompt"}` (vLLM `serve/tokenize/protocol.py`); open without a key (§0.2);
 * - `/v1/audio/transcriptions` and `/v1/audio/translations` for Whisper models: multipart/form-data with the
 *   file field `file` and the optional form field `model` (§3: "form field `model`, optional"). Answers
 *   `{"text","usage":{"type":"duration","seconds"}}` (transcription, `TranscriptionResponse`), `{"text"}`
 *   (translation), plain text for `response_format` text/srt/vtt, `verbose_json` with duration and language,
 *   or SSE `transcription.chunk`s with `stream=true`; a `file` sent as a plain field → 422 "Expected 'file'
 *   to be a file-like object, not 'str'." (`speech_to_text/transcription/protocol.py`). The text is a
 *   deterministic function of the audio bytes; the duration is read from a WAV header (else ≈ 16 kB/s).
 */
import { createHash, randomBytes } from 'node:crypto'
import { ApiError, PyTuple, missing } from './errors.js'
import { checkModel, decode, encode, generate, renderChat, sendJson, startSse } from './generate.js'
import { MultipartError, formBoundary, formFields, parseMultipart } from './multipart.js'

/** @typedef {import('./generate.js').ApiCtx} ApiCtx */
/** @typedef {import('./routes-openai.js').Call} Call */
/** @typedef {import('./generate.js').Res} Res */

/** @param {ApiCtx} ctx @param {Record<string, any>} body @param {Res} res @param {Call} call */
export function handleTokenize(ctx, body, res, call) {
  if (body.prompt === undefined && !Array.isArray(body.messages)) throw call.validation([missing('prompt', body)])
  checkModel(ctx, body.model)
  const text = body.prompt !== undefined ? String(body.prompt) : renderChat(body.messages)
  const tokens = encode(text)
  sendJson(res, {
    count: tokens.length,
    max_model_len: ctx.maxModelLen,
    tokens,
    token_strs: body.return_token_strs ? tokens.map((t) => decode([t])) : null,
  })
}

/** @param {ApiCtx} ctx @param {Record<string, any>} body @param {Res} res @param {Call} call */
export function handleDetokenize(ctx, body, res, call) {
  if (!Array.isArray(body.tokens)) throw call.validation([missing('tokens', body)])
  checkModel(ctx, body.model)
  sendJson(res, { prompt: decode(body.tokens.map(Number)) })
}

/** Audio length in seconds: a WAV header's data size / byte rate, else ≈ 16 kB per second. @param {Buffer} b */
export function audioSeconds(b) {
  if (b.length >= 44 && b.toString('ascii', 0, 4) === 'RIFF' && b.toString('ascii', 8, 12) === 'WAVE') {
    let at = 12
    let byteRate = 0
    while (at + 8 <= b.length) {
      const id = b.toString('ascii', at, at + 4)
      const size = b.readUInt32LE(at + 4)
      if (id === 'fmt ' && at + 16 <= b.length) byteRate = b.readUInt32LE(at + 16)
      if (id === 'data' && byteRate > 0) return Math.min(size, b.length - at - 8) / byteRate
      at += 8 + size + (size % 2)
    }
  }
  return b.length / 16000
}

/**
 * @param {ApiCtx} ctx
 * @param {'transcription' | 'translation'} kind
 * @param {{headers: import('node:http').IncomingHttpHeaders}} req
 * @param {Buffer} raw
 * @param {Res} res
 * @param {Call} call
 */
export async function handleAudio(ctx, kind, req, raw, res, call) {
  /** @type {ReturnType<typeof formFields>} */
  let form = { text: {}, files: {} }
  try {
    const boundary = formBoundary(req.headers['content-type'])
    if (boundary) form = formFields(parseMultipart(raw, boundary))
  } catch (e) {
    if (!(e instanceof MultipartError)) throw e
    throw new ApiError(400, 'Bad Request', `There was an error parsing the body: ${e.message}`)
  }
  const fields = { ...form.text, ...Object.fromEntries(Object.keys(form.files).map((k) => [k, `<UploadFile ${k}>`])) }
  if (form.text.file !== undefined) {
    throw new ApiError(422, 'Unprocessable Entity', "Expected 'file' to be a file-like object, not 'str'.")
  }
  const file = form.files.file
  if (!file) throw call.validation([missing('file', fields)])
  const stream = ['true', '1'].includes((form.text.stream ?? '').toLowerCase())
  if (
    !stream &&
    ['stream_include_usage', 'stream_continuous_usage_stats'].some((k) => ['true', '1'].includes((form.text[k] ?? '').toLowerCase()))
  ) {
    const msg = 'Value error, Stream options can only be defined when `stream=True`.'
    throw call.validation([{ type: 'value_error', loc: new PyTuple(['body']), msg, input: fields }], 'stream_include_usage')
  }
  const model = checkModel(ctx, form.text.model)
  const seconds = audioSeconds(file.data)
  const format = form.text.response_format ?? 'json'
  const prompt = createHash('sha256').update(file.data).digest('hex')
  const g = { prompt, promptTokens: Math.max(1, Math.ceil(seconds * 50)), seed: 0 }
  if (stream) {
    const send = startSse(res, call.signal)
    const id = `trsc-${randomBytes(16).toString('hex')}`
    const created = Math.floor(Date.now() / 1000)
    const object = `${kind}.chunk`
    const r = await generate(ctx, g, (w) => send({ id, object, created, model, choices: [{ delta: { content: w } }] }), call.signal)
    if (r.aborted) return void res.destroy()
    send({ id, object, created, model, choices: [{ delta: { content: '' }, finish_reason: r.reason, stop_reason: null }] })
    send('[DONE]')
    return void res.end()
  }
  let text = ''
  const r = await generate(ctx, g, (w) => (text += w), call.signal)
  if (r.aborted) return void res.destroy()
  if (format === 'text' || format === 'srt' || format === 'vtt') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
    return void res.end(format === 'text' ? text : subtitles(format, text, seconds))
  }
  if (format === 'verbose_json')
    return sendJson(res, { duration: seconds.toFixed(2), language: form.text.language ?? 'en', text, segments: null, words: null })
  sendJson(res, kind === 'transcription' ? { text, usage: { type: 'duration', seconds: Math.ceil(seconds) } } : { text })
}

/** @param {'srt' | 'vtt'} format @param {string} text @param {number} seconds */
function subtitles(format, text, seconds) {
  const t = (/** @type {number} */ s, /** @type {string} */ sep) => {
    const ms = Math.round(s * 1000)
    const p = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0')
    return `${p(Math.floor(ms / 3600000))}:${p(Math.floor(ms / 60000) % 60)}:${p(Math.floor(ms / 1000) % 60)}${sep}${p(ms % 1000, 3)}`
  }
  return format === 'srt' ? `1\n${t(0, ',')} --> ${t(seconds, ',')}\n${text}\n` : `WEBVTT\n\n${t(0, '.')} --> ${t(seconds, '.')}\n${text}\n`
}
