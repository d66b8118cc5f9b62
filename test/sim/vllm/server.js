// @ts-check
/**
 * The HTTP side of the simulated vLLM, in the order a request meets vLLM's FastAPI app:
 * 1. `--api-key` middleware before routing (auth.js; gateway-facts §0.2): 401 `{"error":"Unauthorized"}`;
 * 2. Starlette routing over the mounted routes (routes.js; §3): 404 `{"detail":"Not Found"}`, 405
 *    `{"detail":"Method Not Allowed"}` with `Allow`;
 * 3. JSON routes: `validate_json_request` (content type `application/json`, else 400 "Unsupported Media
 *    Type: Only 'application/json' is allowed"), JSON decoding and field validation → 400 "Bad Request"
 *    (errors.js; §3.2);
 * 4. the handler: errors in vLLM's shape (`{"error":{…}}`, flat before v0.10.1; Anthropic's on /v1/messages);
 *    an error after an SSE stream started is sent as `data: {"error":{…}}` + `data: [DONE]` (§3.2).
 * Plus /health (200 empty, 503 once the engine is dead), /v1/models (one card per served name, §0.3, §3.1),
 * /version, /ping, /load, /metrics, and uvicorn-style access-log lines.
 * In dev mode (VLLM_SERVER_DEV_MODE=1) the sleep routes (sleep.js, gateway-facts §1.2); a model request meets the
 * sleeper first (queued while scheduling is paused).
 */
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import { UNAUTHORIZED, authorized } from './auth.js'
import { ApiError, METHOD_NOT_ALLOWED, NOT_FOUND, PyTuple, anthropicErrorBody, errorBody, validationError } from './errors.js'
import { sendJson } from './generate.js'
import { exposition } from './metrics.js'
import { matchRoute } from './routes.js'
import { handleGeneration } from './routes-openai.js'
import { handleClassify, handleEmbeddings, handlePooling, handleRerank, handleScore } from './routes-pooling.js'
import { handleCountTokens, handleMessages, handleResponses } from './routes-responses.js'
import { handleAudio, handleDetokenize, handleTokenize } from './routes-text.js'

/** @typedef {import('./generate.js').ApiCtx} ApiCtx */
/** @typedef {import('./routes.js').Route & {supported: boolean}} MountedRoute */

/**
 * @typedef {ApiCtx & {
 *   auth: {keys: string[] | null, prefixes: string[]},
 *   log: import('./log.js').ProcLogger,
 *   accessLog: {enabled: boolean, skip: string[]},
 *   metrics: Parameters<typeof exposition>[1],
 *   createdAt: number,
 *   routes: MountedRoute[],
 *   sleeper?: import('./sleep.js').Sleeper | null,
 * }} ServerCtx
 */

const REASONS = /** @type {Record<number, string>} */ ({
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
})

/** @param {import('node:http').IncomingMessage} req */
async function readBody(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return Buffer.concat(chunks)
}

/** @param {ServerCtx} ctx */
function modelList(ctx) {
  const created = Math.floor(ctx.createdAt / 1000)
  const card = (/** @type {string} */ id) => ({
    id,
    object: 'model',
    created,
    owned_by: 'vllm',
    root: ctx.root,
    parent: null,
    max_model_len: ctx.maxModelLen,
    permission: [
      {
        id: `modelperm-${randomBytes(16).toString('hex')}`,
        object: 'model_permission',
        created,
        allow_create_engine: false,
        allow_sampling: true,
        allow_logprobs: true,
        allow_search_indices: false,
        allow_view: true,
        allow_fine_tuning: false,
        organization: '*',
        group: null,
        is_blocking: false,
      },
    ],
  })
  return { object: 'list', data: ctx.servedNames.map(card) }
}

/**
 * The sleep-mode routes (gateway-facts §1.2): `level`, `mode` and `tags` from the query string; an empty 200 once done.
 * @param {ServerCtx} ctx
 */
function devHandlers(ctx) {
  /** @param {import('node:http').ServerResponse} res @param {import('./sleep.js').DevAnswer} a */
  const answer = (res, a) => {
    if (a.json !== undefined) return sendJson(res, a.json, a.status)
    if (a.text !== undefined) return res.writeHead(a.status, { 'content-type': 'text/plain; charset=utf-8' }).end(a.text)
    res.writeHead(a.status, { 'content-length': '0' }).end()
  }
  /** @param {import('node:http').IncomingMessage} req */
  const query = (req) => new URL(req.url ?? '/', 'http://localhost').searchParams
  const s = () => {
    if (!ctx.sleeper) throw new ApiError(500, 'InternalServerError', 'sleep mode is not set up')
    return ctx.sleeper
  }
  /** @type {Record<string, (a: {req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: Record<string, any>}) => unknown>} */
  const h = {
    sleep: async ({ req, res }) => answer(res, await s().sleep(query(req).get('level'), query(req).get('mode'))),
    wakeUp: async ({ req, res }) => answer(res, await s().wakeUp(query(req).getAll('tags'))),
    isSleeping: ({ res }) => sendJson(res, { is_sleeping: s().isSleeping() }),
    collectiveRpc: async ({ res, body }) => answer(res, await s().collectiveRpc(body)),
    resetPrefixCache: ({ res }) => answer(res, { status: 200 }),
  }
  return h
}

/**
 * The JSON body of a JSON route, validated as FastAPI + `validate_json_request` do.
 * @param {import('node:http').IncomingMessage} req
 * @param {Buffer} raw
 * @param {import('./routes-openai.js').Call['validation']} validation
 */
function jsonBody(req, raw, validation) {
  const media = String(req.headers['content-type'] ?? '')
    .toLowerCase()
    .split(';')[0]
    ?.trim()
  if (media !== 'application/json') throw validation(["Unsupported Media Type: Only 'application/json' is allowed"])
  /** @type {unknown} */
  let body
  try {
    body = JSON.parse(raw.toString('utf8'))
  } catch (e) {
    const err = /** @type {Error} */ (e)
    const pos = Number(/position (\d+)/.exec(err.message)?.[1] ?? 0)
    throw validation([
      { type: 'json_invalid', loc: new PyTuple(['body', pos]), msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } },
    ])
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    const msg = 'Input should be a valid dictionary or object to extract fields from'
    throw validation([{ type: 'model_attributes_type', loc: new PyTuple(['body']), msg, input: body }])
  }
  return /** @type {Record<string, any>} */ (body)
}

/**
 * @param {ServerCtx} ctx
 * @returns {import('node:http').Server}
 */
export function createApiServer(ctx) {
  /** @type {Record<string, (a: {req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: Record<string, any>, raw: Buffer, call: import('./routes-openai.js').Call}) => unknown>} */
  const handlers = {
    health: ({ res }) => res.writeHead(ctx.dead() ? 503 : 200, { 'content-length': '0' }).end(),
    ping: ({ res }) => res.writeHead(ctx.dead() ? 503 : 200, { 'content-length': '0' }).end(),
    version: ({ res }) => sendJson(res, { version: ctx.v.version }),
    load: ({ res }) => sendJson(res, { server_load: ctx.stats.running + ctx.stats.waiting }),
    models: ({ res }) => sendJson(res, modelList(ctx)),
    metrics: ({ res }) =>
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(exposition(ctx.stats, ctx.metrics)),
    openapi: ({ res }) =>
      sendJson(res, {
        openapi: '3.1.0',
        info: { title: 'FastAPI', version: '0.1.0' },
        paths: Object.fromEntries(ctx.routes.map((r) => [r.path, Object.fromEntries(r.methods.map((m) => [m.toLowerCase(), {}]))])),
      }),
    docs: ({ res }) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><title>FastAPI - Swagger UI</title>'),
    tokenize: ({ res, body, call }) => handleTokenize(ctx, body, res, call),
    detokenize: ({ res, body, call }) => handleDetokenize(ctx, body, res, call),
    chat: ({ res, body, call }) => handleGeneration(ctx, 'chat', body, res, call),
    completions: ({ res, body, call }) => handleGeneration(ctx, 'completion', body, res, call),
    responses: ({ res, body, call }) => handleResponses(ctx, body, res, call),
    messages: ({ res, body, call }) => handleMessages(ctx, body, res, call),
    countTokens: ({ res, body, call }) => handleCountTokens(ctx, body, res, call),
    transcriptions: ({ req, res, raw, call }) => handleAudio(ctx, 'transcription', req, raw, res, call),
    translations: ({ req, res, raw, call }) => handleAudio(ctx, 'translation', req, raw, res, call),
    embeddings: ({ res, body, call }) => handleEmbeddings(ctx, body, res, call),
    pooling: ({ res, body, call }) => handlePooling(ctx, body, res, call),
    classify: ({ res, body, call }) => handleClassify(ctx, body, res, call),
    score: ({ res, body, call }) => handleScore(ctx, body, res, call),
    rerank: ({ res, body, call }) => handleRerank(ctx, body, res, call),
    ...devHandlers(ctx),
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    const method = req.method ?? 'GET'
    // vLLM's @with_cancellation: the client going away aborts the request (gateway-facts §3)
    const ac = new AbortController()
    res.on('close', () => {
      if (!res.writableFinished) ac.abort()
    })
    res.on('finish', () => {
      if (ctx.accessLog.enabled && !ctx.accessLog.skip.includes(path)) {
        const peer = `${req.socket.remoteAddress?.replace(/^::ffff:/, '')}:${req.socket.remotePort}`
        ctx.log.uvicorn(`${peer} - "${method} ${req.url} HTTP/${req.httpVersion}" ${res.statusCode} ${REASONS[res.statusCode] ?? ''}`)
      }
    })
    /** @type {MountedRoute | null} */
    let route = null
    try {
      if (!authorized(ctx.auth, method, path, req.headers.authorization)) return sendJson(res, UNAUTHORIZED, 401)
      const m = matchRoute(ctx.routes, method, path)
      if ('status' in m) {
        if (m.status === 404) return sendJson(res, NOT_FOUND, 404)
        res.setHeader('allow', m.allow.join(', '))
        return sendJson(res, METHOD_NOT_ALLOWED, 405)
      }
      route = m.route
      const endpoint = { method, path, fn: route.fn ?? '', file: route.file ?? '' }
      /** @type {import('./routes-openai.js').Call} */
      const call = { signal: ac.signal, validation: (errors, param = null) => validationError(ctx.v, errors, endpoint, param) }
      const raw = route.body ? await readBody(req) : Buffer.alloc(0)
      const body = route.body === 'json' ? jsonBody(req, raw, call.validation) : {}
      if (!route.supported) {
        const e = new ApiError(400, 'BadRequestError', `The model does not support ${route.api} API`)
        e.anthropic = route.handler === 'messages' || route.handler === 'countTokens'
        throw e
      }
      const model = route.mount !== 'always' && route.mount !== 'dev' && ctx.sleeper
      const done = model ? await ctx.sleeper?.admit({ abort: () => (ac.abort(), res.destroy()) }) : null
      try {
        return await handlers[route.handler]?.({ req, res, body, raw, call })
      } finally {
        done?.()
      }
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalServerError', /** @type {Error} */ (e).message)
      const out = err.anthropic ? anthropicErrorBody(err) : errorBody(ctx.v, err)
      if (res.destroyed) return
      if (res.headersSent) {
        // a failure inside a stream: the status is already 200 (chat_completion/serving.py)
        res.write(`data: ${JSON.stringify(out)}\n\n`)
        res.end('data: [DONE]\n\n')
        return
      }
      return sendJson(res, out, err.code)
    }
  })
  server.keepAliveTimeout = 5000
  return server
}
