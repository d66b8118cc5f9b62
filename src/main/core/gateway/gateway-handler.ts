import type { Agent, IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../logging/logger'
import { authorize } from './auth'
import { isServing, primaryName, type GatewayBackend, type GatewayBackends } from './backends'
import { modelField, readBody, replaceModel } from './body'
import type { Holds } from './hold'
import type { IdleTimers } from './idle'
import type { GatewayKeyInfo } from './keys'
import { LoadProgress } from './load-progress'
import type { GatewayMetrics } from './metrics'
import { badRequest, sendError, sseError, type GatewayError } from './openai-error'
import { forward } from './proxy'
import type { RateLimiter } from './rate-limit'
import type { GatewayLogEntry, RequestLog } from './request-log'
import { availableNames, CHAT_ROUTES, resolveModel, type BodyKind } from './routing'

/** The settings a request is handled with (read on every request: changes apply at once). */
export interface HandlerOptions {
  requireKeyOnLoopback: boolean
  loadProgress: boolean
  maxBodyBytes: number
  heartbeatMs: number
}

/** Everything one request needs; built once by GatewayServer. */
export interface HandlerContext {
  backends: GatewayBackends
  keys: { verify(key: string): GatewayKeyInfo | null }
  holds: Holds
  idle: IdleTimers
  limiter: RateLimiter
  log: RequestLog
  metrics: GatewayMetrics | null
  logger: Logger
  agent: Agent
  options: HandlerOptions
  now: () => number
  /** A request began, was held or ended (status() changed). */
  activity: () => void
}

/** The 401/429 checks every gateway route shares; the key's name on success. */
export function admit(
  ctx: HandlerContext,
  req: IncomingMessage,
): { ok: true; key: GatewayKeyInfo | null } | { ok: false; error: GatewayError } {
  const auth = authorize({
    remoteAddress: req.socket.remoteAddress,
    headers: req.headers,
    requireKeyOnLoopback: ctx.options.requireKeyOnLoopback,
    verify: (k) => ctx.keys.verify(k),
  })
  if (!auth.ok || !auth.key?.requestsPerMinute) return auth
  const r = ctx.limiter.take(auth.key.id, auth.key.requestsPerMinute)
  if (r.ok) return auth
  return {
    ok: false,
    error: {
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      retryAfterS: r.retryAfterS,
      message: `The key "${auth.key.name}" is limited to ${auth.key.requestsPerMinute} requests per minute. Retry in ${r.retryAfterS} s, or raise its limit on the Gateway page.`,
    },
  }
}

/** A request on a route that names its model: admit, read, route, hold while the model loads, forward, log. */
export async function handleModelRequest(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  kind: BodyKind,
  path: string,
): Promise<void> {
  const startedAt = ctx.now()
  const entry: GatewayLogEntry = {
    time: Date.now(),
    method: req.method ?? 'POST',
    path: path.split('?')[0] as string,
    model: null,
    backend: null,
    key: null,
    status: 0,
    latencyMs: 0,
    ttftMs: null,
    tokensIn: null,
    tokensOut: null,
    coldStart: false,
    heldMs: null,
  }
  const finish = (status: number, error?: string): void => {
    entry.status = status
    entry.latencyMs = ctx.now() - startedAt
    if (error) entry.error = error
    ctx.log.add(entry)
    ctx.metrics?.request(entry)
  }
  const fail = (e: GatewayError): void => {
    sendError(res, e, e.status === 413 ? { connection: 'close' } : {})
    finish(e.status, e.message)
  }

  const who = admit(ctx, req)
  if (!who.ok) return fail(who.error)
  entry.key = who.key?.name ?? null

  const read = await readBody(req, ctx.options.maxBodyBytes)
  if (!read.ok) return read.error ? fail(read.error) : finish(499, 'client disconnected')
  const field = modelField(kind, read.body, req.headers['content-type'])
  if (!field.ok) return fail(field.error)
  const { model, range, stream } = field.field
  if (model === undefined || model === '') {
    const names = availableNames(ctx.backends.list()).join(', ') || 'none'
    return fail(badRequest(`The request names no model. Set \`model\` to one of: ${names}.`, 'model_required', 'model'))
  }
  entry.model = model
  const resolved = resolveModel(ctx.backends.list(), model)
  if (!resolved.ok) return fail(resolved.error)
  let b: GatewayBackend = resolved.backend
  entry.backend = primaryName(b)

  const gone = new AbortController()
  res.on('close', () => void (!res.writableFinished && gone.abort()))
  ctx.idle.begin(b.id)
  ctx.activity()
  try {
    if (!isServing(b)) {
      let progress: LoadProgress | null = null
      const h = ctx.holds.hold(b, gone.signal, (now) => progress?.update(now))
      if (!h.ok) return fail(h.error)
      entry.coldStart = true
      ctx.activity()
      if (stream && ctx.options.loadProgress) {
        progress = new LoadProgress(res, { chat: CHAT_ROUTES.has(entry.path), model, heartbeatMs: ctx.options.heartbeatMs, now: ctx.now })
        const id = b.id
        progress.update(ctx.backends.list().find((x) => x.id === id) ?? b)
      }
      const outcome = await h.done
      progress?.finish(outcome.ok)
      if (!outcome.ok) {
        entry.heldMs = ctx.now() - startedAt
        if (!outcome.error) return finish(499, 'client disconnected while the model loaded')
        if (res.headersSent) {
          res.end(sseError(outcome.error))
          return finish(outcome.error.status, outcome.error.message)
        }
        return fail(outcome.error)
      }
      entry.heldMs = outcome.heldMs
      b = outcome.backend
    }
    const served = b.servedNames.includes(model) || !range || b.servedNames.length === 0
    const body = served ? read.body : replaceModel(kind, read.body, range, b.servedNames[0] as string)
    const r = await forward({
      req,
      res,
      path,
      body,
      endpoint: b.endpoint as string,
      apiKey: b.apiKey,
      agent: ctx.agent,
      startedAt,
      now: ctx.now,
    })
    entry.ttftMs = r.ttftMs
    entry.tokensIn = r.usage?.tokensIn ?? null
    entry.tokensOut = r.usage?.tokensOut ?? null
    if (r.status === 502) ctx.logger.warn({ model: entry.backend, endpoint: b.endpoint }, `gateway: ${r.error}`)
    finish(r.status, r.error)
  } finally {
    ctx.idle.end(b.id)
    ctx.activity()
  }
}
