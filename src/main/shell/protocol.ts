import { readFile, stat } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'
import { protocol } from 'electron'
import { APP_HOST, APP_SCHEME } from './origin'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * Must run before `app` is ready. `standard` + `secure` give the scheme a real origin, so the renderer
 * gets `'self'` in its CSP, module scripts and a secure context without any file:// privileges.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ])
}

function respond(status: number, body: string): Response {
  return new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/**
 * Serves `rootDir` (the built renderer) for `app://inferadmin/...`: GET/HEAD only, no path escapes the
 * root, extension-less unknown paths fall back to index.html (client-side routes). Every response
 * carries the strict CSP.
 */
export function createRendererHandler(rootDir: string): (request: Request) => Promise<Response> {
  const root = resolve(rootDir)
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return respond(405, 'Method not allowed')
    const url = new URL(request.url)
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return respond(404, 'Not found')
    let pathname: string
    try {
      pathname = decodeURIComponent(url.pathname)
    } catch {
      return respond(400, 'Bad path')
    }
    let file = resolve(root, `.${pathname}`)
    if (file !== root && !file.startsWith(root + sep)) return respond(404, 'Not found')
    if (!(await isFile(file))) {
      if (extname(file) !== '') return respond(404, 'Not found')
      file = resolve(root, 'index.html')
    }
    const headers: Record<string, string> = {
      'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    }
    headers['Content-Security-Policy'] =
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    const body = request.method === 'HEAD' ? null : await readFile(file)
    return new Response(body, { status: 200, headers })
  }
}

/** After `app` is ready: route the scheme to the built renderer on the default session. */
export function handleAppProtocol(rootDir: string): void {
  protocol.handle(APP_SCHEME, createRendererHandler(rootDir))
}
