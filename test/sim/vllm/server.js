// @ts-check
/**
 * The HTTP side of the simulated vLLM (vllm-facts §2 "Endpoints"): /health (200 empty, 503 once the
 * engine is dead), /v1/models (ModelList shape), /version, /ping, /load, /metrics and the OpenAI
 * endpoints; API keys (--api-key / VLLM_API_KEY) on /v1/*; uvicorn-style access log lines.
 */
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import { ApiError, errorBody, handleEmbeddings, handleGeneration } from './openai.js'
import { exposition } from './metrics.js'

/** @typedef {import('./openai.js').ApiCtx} ApiCtx */

/**
 * @typedef {ApiCtx & {
 *   apiKeys: string[] | null,
 *   log: import('./log.js').ProcLogger,
 *   accessLog: {enabled: boolean, skip: string[]},
 *   metrics: Parameters<typeof exposition>[1],
 *   createdAt: number,
 *   routes: string[][],
 * }} ServerCtx
 */

/** Routes as vLLM lists them at startup ("Route: /health, Methods: GET"). */
export const ROUTES = [
  ['/openapi.json', 'GET, HEAD'],
  ['/docs', 'GET, HEAD'],
  ['/health', 'GET'],
  ['/load', 'GET'],
  ['/ping', 'GET, POST'],
  ['/version', 'GET'],
  ['/v1/models', 'GET'],
  ['/v1/chat/completions', 'POST'],
  ['/v1/completions', 'POST'],
  ['/v1/embeddings', 'POST'],
  ['/metrics', 'GET'],
]

const REASONS = /** @type {Record<number, string>} */ ({
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
})

/** @param {import('node:http').IncomingMessage} req */
async function readJson(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  const text = Buffer.concat(chunks).toString('utf8')
  try {
    return JSON.parse(text || '{}')
  } catch {
    throw new ApiError(400, 'BadRequestError', 'JSON decode error')
  }
}

/** @param {ServerCtx} ctx */
function modelList(ctx) {
  const created = Math.floor(ctx.createdAt / 1000)
  return {
    object: 'list',
    data: ctx.servedNames.map((id) => ({
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
    })),
  }
}

/**
 * @param {ServerCtx} ctx
 * @returns {import('node:http').Server}
 */
export function createApiServer(ctx) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    const ac = new AbortController()
    res.on('close', () => {
      if (!res.writableFinished) ac.abort()
    })
    res.on('finish', () => {
      if (ctx.accessLog.enabled && !ctx.accessLog.skip.includes(path)) {
        const peer = `${req.socket.remoteAddress?.replace(/^::ffff:/, '')}:${req.socket.remotePort}`
        ctx.log.uvicorn(`${peer} - "${req.method} ${req.url} HTTP/${req.httpVersion}" ${res.statusCode} ${REASONS[res.statusCode] ?? ''}`)
      }
    })
    /** @param {number} code @param {unknown} body */
    const json = (code, body) => {
      res.writeHead(code, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    try {
      if (path.startsWith('/v1/') && ctx.apiKeys) {
        const auth = req.headers.authorization ?? ''
        if (!ctx.apiKeys.some((k) => auth === `Bearer ${k}`)) return json(401, { error: 'Unauthorized' })
      }
      const route = `${req.method} ${path}`
      switch (route) {
        case 'GET /health':
          res.writeHead(ctx.dead() ? 503 : 200, { 'content-length': '0' })
          return res.end()
        case 'GET /ping':
        case 'POST /ping':
          res.writeHead(ctx.dead() ? 503 : 200, { 'content-length': '0' })
          return res.end()
        case 'GET /version':
          return json(200, { version: ctx.v.version })
        case 'GET /load':
          return json(200, { server_load: ctx.stats.running + ctx.stats.waiting })
        case 'GET /v1/models':
          return json(200, modelList(ctx))
        case 'GET /metrics':
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
          return res.end(exposition(ctx.stats, ctx.metrics))
        case 'POST /v1/chat/completions':
          return await handleGeneration(ctx, 'chat', await readJson(req), res, ac.signal)
        case 'POST /v1/completions':
          return await handleGeneration(ctx, 'completion', await readJson(req), res, ac.signal)
        case 'POST /v1/embeddings':
          return handleEmbeddings(ctx, await readJson(req), res)
        default:
          if (ROUTES.some(([p]) => p === path)) return json(405, { detail: 'Method Not Allowed' })
          return json(404, { detail: 'Not Found' })
      }
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalServerError', /** @type {Error} */ (e).message)
      if (res.headersSent) return res.end()
      return json(err.code, errorBody(ctx, err))
    }
  })
  server.keepAliveTimeout = 5000
  return server
}
