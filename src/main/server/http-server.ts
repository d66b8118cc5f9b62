import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { OpenAPIHandler } from '@orpc/openapi/node'
import { RPCHandler } from '@orpc/server/ws'
import type { Logger } from 'pino'
import { WebSocketServer } from 'ws'
import { API_PREFIX, RPC_PATH } from '../../shared/contract'
import type { AppRouter } from '../core/router'
import { originAllowed, TokenAuth } from './auth'
import { createOpenApiDocument } from './openapi'
import { serveStatic } from './static'

export interface HeadlessServerOptions {
  router: AppRouter
  logger: Logger
  version: string
  token: string
  host: string
  port: number
  rendererDir: string
  /** Prometheus text at GET /metrics (behind the same token). */
  metrics?: { contentType: string; render(): Promise<string> }
}

export interface HeadlessServer {
  url: string
  port: number
  close(): Promise<void>
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
}

function unauthorized(req: IncomingMessage, res: ServerResponse): void {
  const fix = 'Open the URL printed by `inferadmin serve` (it carries ?token=…), or send `Authorization: Bearer <token>` from server.json.'
  if ((req.url ?? '').startsWith('/api/') || req.headers.accept?.includes('application/json')) {
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'UNAUTHORIZED', message: 'A valid token is required.', data: { fix } }))
  } else {
    res
      .writeHead(401, { 'content-type': 'text/html; charset=utf-8' })
      .end(`<!doctype html><title>InferAdmin — unauthorized</title><h1>401 Unauthorized</h1><p>${fix}</p>`)
  }
}

/** The headless transport: built UI + REST/OpenAPI at /api/v1 + WebSocket RPC at /rpc, all behind the token. */
export async function startHeadlessServer(opts: HeadlessServerOptions): Promise<HeadlessServer> {
  const { logger } = opts
  const auth = new TokenAuth(opts.token)
  const rest = new OpenAPIHandler(opts.router)
  const rpc = new RPCHandler(opts.router)
  let openApiJson: string | undefined

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v)
    const url = new URL(req.url ?? '/', 'http://local')
    const queryToken = url.searchParams.get('token')
    if (queryToken !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      if (!auth.check(queryToken)) return unauthorized(req, res)
      url.searchParams.delete('token')
      res.writeHead(302, { location: url.pathname + url.search, 'set-cookie': auth.sessionCookie(), 'cache-control': 'no-store' }).end()
      return
    }
    if (!auth.isAuthorized(req)) return unauthorized(req, res)

    if (url.pathname === '/metrics' && opts.metrics && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': opts.metrics.contentType, 'cache-control': 'no-store' }).end(await opts.metrics.render())
      return
    }
    if (url.pathname === `${API_PREFIX}/openapi.json`) {
      openApiJson ??= JSON.stringify(await createOpenApiDocument(opts.router, opts.version))
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(openApiJson)
      return
    }
    if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
      res.setHeader('cache-control', 'no-store')
      const { matched } = await rest.handle(req, res, { prefix: API_PREFIX, context: { transport: 'rest' } })
      if (!matched) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 'NOT_FOUND', message: `No API route ${req.method} ${url.pathname}`, data: { fix: `See ${API_PREFIX}/openapi.json for the routes.` } }))
      }
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end()
      return
    }
    await serveStatic(opts.rendererDir, url.pathname, res)
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url?.split('?')[0] }, 'request failed')
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal error; see the log.' }))
    })
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 })
  wss.on('connection', (ws) => {
    void rpc.upgrade(ws, { context: { transport: 'ws' } })
  })
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0]
    const refuse = (status: number, text: string): void => {
      logger.warn({ status, origin: req.headers.origin, path }, 'websocket upgrade refused')
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    if (path !== RPC_PATH) return refuse(404, 'Not Found')
    if (!auth.isAuthorized(req)) return refuse(401, 'Unauthorized')
    if (!originAllowed(req)) return refuse(403, 'Forbidden')
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host
  const url = `http://${shownHost}:${port}`
  logger.info({ url, host: opts.host }, 'headless server listening')

  return {
    url,
    port,
    close: async () => {
      for (const client of wss.clients) client.terminate()
      wss.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
