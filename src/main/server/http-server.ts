import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { OpenAPIHandler } from '@orpc/openapi/node'
import { RPCHandler } from '@orpc/server/ws'
import type { Logger } from 'pino'
import { WebSocketServer } from 'ws'
import { API_PREFIX, RPC_PATH } from '../../shared/contract'
import { httpUrl } from '../core/docker/net'
import type { AppRouter } from '../core/router'
import { type AuthVia, originAllowed, reachedOverHttps, TokenAuth } from './auth'
import { declaredErrors } from '../core/rpc/declared-errors'
import { acceptJsonBody, crossSiteRefusal, HostCheck, MAX_WS_MESSAGE_BYTES, misdirected, refuseUnparsed, sendError } from './guards'
import { createOpenApiDocument } from './openapi'
import { SessionStore } from './sessions'
import { displayPath, type SignInReason, signInPage } from './signin-page'
import { staticFiles } from './static'

export interface HeadlessServerOptions {
  router: AppRouter
  logger: Logger
  version: string
  token: string
  host: string
  port: number
  rendererDir: string
  /** Browser sessions (persisted by `inferadmin serve`); in memory when absent. */
  sessions?: SessionStore
  /** Host names besides the server's own addresses that it answers (INFERADMIN_ALLOWED_HOSTS). */
  allowedHosts?: string[]
  /** Where server.json is, named on the sign-in page a browser without a session gets. */
  serverFile?: string
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

/** 401: the declared error shape for the API and scripts, the sign-in page (how to get a fresh link) for a browser. */
function unauthorized(req: IncomingMessage, res: ServerResponse, reason: SignInReason, serverFile: string | undefined): void {
  const fix = 'Open the URL printed by `inferadmin serve` (it carries ?token=…), or send `Authorization: Bearer <token>` from server.json.'
  if ((req.url ?? '').startsWith('/api/') || req.headers.accept?.includes('application/json')) {
    sendError(res, 401, 'UNAUTHORIZED', 'A valid token is required.', fix)
  } else {
    const page = signInPage({ reason, serverFile: serverFile ? displayPath(serverFile) : null })
    res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? '' : page)
  }
}

/** The headless transport: built UI + REST/OpenAPI at /api/v1 + WebSocket RPC at /rpc, all behind the token. */
export async function startHeadlessServer(opts: HeadlessServerOptions): Promise<HeadlessServer> {
  const { logger } = opts
  const auth = new TokenAuth(opts.token, opts.sessions ?? (await SessionStore.open()))
  // Unknown REST routes are answered below (with the method and path); an unknown RPC procedure here.
  const rest = new OpenAPIHandler(opts.router, declaredErrors({ unknownProcedure: false }))
  const rpc = new RPCHandler(opts.router, declaredErrors({ unknownProcedure: true }))
  const serveStatic = staticFiles(opts.rendererDir)
  let openApiJson: string | undefined
  // Set once listening (the port may be chosen by the OS); no request arrives before.
  let hosts: HostCheck | undefined
  let serverUrl = ''

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v)
    if (!hosts?.allows(req.headers.host)) return misdirected(req, res, serverUrl)
    const url = new URL(req.url ?? '/', 'http://local')
    const queryToken = url.searchParams.get('token')
    if (queryToken !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      if (!auth.check(queryToken)) return unauthorized(req, res, 'bad-link', opts.serverFile)
      url.searchParams.delete('token')
      const cookie = await auth.newSessionCookie(reachedOverHttps(req))
      res.writeHead(302, { location: url.pathname + url.search, 'set-cookie': cookie, 'cache-control': 'no-store' }).end()
      return
    }
    const via = auth.authenticate(req)
    if (!via) return unauthorized(req, res, 'no-session', opts.serverFile)
    const crossSite = crossSiteRefusal(req, via)
    if (crossSite) {
      logger.warn({ method: req.method, origin: req.headers.origin, path: url.pathname }, 'cross-site request refused')
      const fix = 'Use InferAdmin’s own page, or call the API from a script with `Authorization: Bearer <token>` (server.json).'
      return sendError(res, 403, 'FORBIDDEN', `Cross-site request refused: ${crossSite}.`, fix)
    }

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
      if (!(await acceptJsonBody(req, res))) return
      const { matched } = await rest.handle(req, res, { prefix: API_PREFIX, context: { transport: 'rest' } })
      if (!matched) {
        const method = String(req.method).slice(0, 10)
        const fix = `See ${API_PREFIX}/openapi.json for the routes.`
        sendError(res, 404, 'NOT_FOUND', `No API route ${method} ${url.pathname.slice(0, 300)}`, fix)
      }
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end()
      return
    }
    // A session in use stays alive: opening the app past half its lifetime extends it (a full Max-Age again).
    if (via === 'session') {
      const renewed = await auth.renewedSessionCookie(req)
      if (renewed) res.setHeader('set-cookie', renewed)
    }
    // The address as the URL parser resolved it (dot segments gone), without the query.
    req.url = url.pathname
    serveStatic(req, res)
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url?.split('?')[0] }, 'request failed')
      sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal error; see the log.', 'Try again; if it persists, report it with the log.')
    })
  })

  // What Node's HTTP parser refuses before a request exists (a 1 MB URL → 431, broken framing → 400) is
  // answered in the declared shape too, not as a bare status line.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => refuseUnparsed(err, socket))

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES })
  wss.on('connection', (ws) => {
    // A message over the cap (or a broken frame) closes the connection (1009/1002); without a listener
    // ws's 'error' event would be thrown and take the whole server down.
    ws.on('error', (err) => logger.warn({ err: err.message }, 'websocket connection closed on a bad message'))
    void rpc.upgrade(ws, { context: { transport: 'ws' } })
  })
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0]
    const refuse = (status: number, text: string): void => {
      logger.warn({ status, origin: req.headers.origin, path }, 'websocket upgrade refused')
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    if (!hosts?.allows(req.headers.host)) return refuse(421, 'Misdirected Request')
    if (path !== RPC_PATH) return refuse(404, 'Not Found')
    const via: AuthVia | undefined = auth.authenticate(req)
    if (!via) return refuse(401, 'Unauthorized')
    if (!originAllowed(req, via)) return refuse(403, 'Forbidden')
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      const port = (server.address() as AddressInfo).port
      serverUrl = httpUrl(opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host, port)
      hosts = new HostCheck(opts.host, port, opts.allowedHosts)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const url = serverUrl
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
