import { request, type IncomingHttpHeaders } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Core } from '../core/create-core'
import { COOKIE_NAME } from './auth'
import { MAX_BODY_BYTES } from './guards'
import { startHeadlessServer, type HeadlessServer } from './http-server'
import { startTestServer, type TestServer } from './test-server'

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv'
let core: Core
let server: HeadlessServer
let renderer: string

let t: TestServer

beforeAll(async () => {
  t = await startTestServer('inferadmin-security-', TOKEN)
  ;({ core, server } = t)
  renderer = t.renderer
})

afterAll(async () => {
  await t?.close()
})

interface Raw {
  status: number
  headers: IncomingHttpHeaders
  text: string
  body: { code?: string; status?: number; message?: string; data?: { fix?: string; fields?: Record<string, string> } }
}

/**
 * One HTTP request over node:http, so any Host, Origin or body framing can be sent (fetch fixes Host).
 * `chunks` sends the body chunked (no Content-Length).
 */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
  opts: { chunks?: number; to?: HeadlessServer } = {},
): Promise<Raw> {
  const target = new URL((opts.to ?? server).url)
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method, path, headers: { host: target.host, ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => {
        let parsed: Raw['body'] = {}
        try {
          parsed = JSON.parse(text) as Raw['body']
        } catch {
          // not JSON (a page)
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed })
      })
    })
    // The server may answer (413) and close before the whole body is written: that answer is what counts.
    req.on('error', (err) => (req.destroyed && req.writableEnded ? undefined : reject(err)))
    if (body === undefined) return void req.end()
    if (!opts.chunks) return void req.end(body)
    const buf = Buffer.from(body)
    const size = Math.ceil(buf.length / opts.chunks)
    for (let i = 0; i < buf.length; i += size) req.write(buf.subarray(i, i + size))
    req.end()
  })
}

const bearer = { authorization: `Bearer ${TOKEN}` }
const json = { 'content-type': 'application/json' }
const own = (): string => server.url
const host = (): string => new URL(server.url).host

/** Opens the token link like a browser and returns the session cookie ("name=value"). */
async function login(): Promise<string> {
  const res = await raw('GET', `/?token=${TOKEN}`)
  expect(res.status).toBe(302)
  return String(res.headers['set-cookie']?.[0] ?? '').split(';')[0] as string
}

async function theme(): Promise<string> {
  const r = await raw('GET', '/api/v1/settings', bearer)
  return (JSON.parse(r.text) as { settings: { theme: string } }).settings.theme
}

function expectDeclaredError(r: Raw, status: number, code: string): void {
  expect(r.status, r.text).toBe(status)
  expect(r.headers['content-type']).toContain('application/json')
  expect(r.body).toMatchObject({ code, message: expect.any(String), data: { fix: expect.any(String) } })
}

describe('the session cookie is not the API token (issue 12, item 4)', () => {
  it('trades the token link for a random session with a 30-day lifetime', async () => {
    const res = await raw('GET', `/?token=${TOKEN}`)
    const setCookie = String(res.headers['set-cookie']?.[0])
    expect(setCookie).toMatch(new RegExp(`^${COOKIE_NAME}=[A-Za-z0-9_-]{43}; `))
    expect(setCookie).not.toContain(TOKEN)
    expect(setCookie).not.toContain(encodeURIComponent(TOKEN))
    for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=2592000']) expect(setCookie).toContain(`; ${attr}`)
    const cookie = setCookie.split(';')[0] as string
    expect((await raw('GET', '/api/v1/health', { cookie })).status).toBe(200)
    // Each opening of the link is a session of its own.
    expect(await login()).not.toBe(cookie)
  })

  it('refuses the token itself in a cookie, under the old name or the new one', async () => {
    for (const cookie of [`inferadmin_token=${TOKEN}`, `${COOKIE_NAME}=${TOKEN}`]) {
      expect((await raw('GET', '/api/v1/health', { cookie })).status, cookie).toBe(401)
    }
    expect((await raw('GET', '/api/v1/health', bearer)).status).toBe(200)
  })
})

describe('cross-site requests (issue 12, item 3)', () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded' }

  it('refuses a cookie-authenticated change from another port of the same host (Open WebUI, a vLLM container)', async () => {
    const cookie = await login()
    const before = await theme()
    const evil = { cookie, origin: 'http://127.0.0.1:3000' }
    expectDeclaredError(await raw('PUT', '/api/v1/settings', { ...evil, ...form }, 'theme=dark'), 403, 'FORBIDDEN')
    expectDeclaredError(await raw('PUT', '/api/v1/settings', { ...evil, ...json }, '{"theme":"dark"}'), 403, 'FORBIDDEN')
    expectDeclaredError(await raw('POST', '/api/v1/engine/prune', { ...evil, ...json }, '{"dryRun":false}'), 403, 'FORBIDDEN')
    expect(await theme()).toBe(before)
  })

  it('refuses a cookie-authenticated change without an Origin, and accepts one from our own page', async () => {
    const cookie = await login()
    expectDeclaredError(await raw('PUT', '/api/v1/settings', { cookie, ...json }, '{"theme":"dark"}'), 403, 'FORBIDDEN')
    expect(await theme()).toBe('system')
    const ok = await raw('PUT', '/api/v1/settings', { cookie, origin: own(), ...json }, '{"theme":"dark"}')
    expect(ok.status, ok.text).toBe(200)
    expect(await theme()).toBe('dark')
    await raw('PUT', '/api/v1/settings', { ...bearer, ...json }, '{"theme":"system"}')
  })

  it('takes JSON bodies only: forms, multipart, text and untyped bodies get 415 and change nothing', async () => {
    const multipart = { 'content-type': 'multipart/form-data; boundary=x' }
    const cases: [Record<string, string>, string][] = [
      [form, 'theme=dark'],
      [multipart, '--x\r\nContent-Disposition: form-data; name="theme"\r\n\r\ndark\r\n--x--\r\n'],
      [{ 'content-type': 'text/plain' }, '{"theme":"dark"}'],
      [{ 'content-type': 'application/json-patch+json' }, '{"theme":"dark"}'],
      [{}, '{"theme":"dark"}'],
    ]
    for (const [headers, body] of cases) {
      const r = await raw('PUT', '/api/v1/settings', { ...bearer, ...headers }, body)
      expectDeclaredError(r, 415, 'UNSUPPORTED_MEDIA_TYPE')
      expect(r.body.data?.fix).toContain('application/json')
    }
    // A cross-site form POST without fields still names its type.
    expectDeclaredError(await raw('POST', '/api/v1/webui/stop', { ...bearer, ...form }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await theme()).toBe('system')
    const ok = await raw('PUT', '/api/v1/settings', { ...bearer, 'content-type': 'application/json; charset=utf-8' }, '{"theme":"light"}')
    expect(ok.status, ok.text).toBe(200)
    await raw('PUT', '/api/v1/settings', { ...bearer, ...json }, '{"theme":"system"}')
  })

  it('still runs calls without a body, typed or not, and empty chunked JSON bodies', async () => {
    for (const headers of [bearer, { ...bearer, ...json }]) {
      const r = await raw('POST', '/api/v1/models/updates/check', headers)
      expect(r.status, r.text).toBe(200)
      expect(JSON.parse(r.text)).toEqual([])
    }
    const chunked = await raw('POST', '/api/v1/models/updates/check', { ...bearer, ...json }, '', { chunks: 1 })
    expect(chunked.status, chunked.text).toBe(200)
    const missing = await raw('PUT', '/api/v1/settings', { ...bearer, ...json }, '', { chunks: 1 })
    expectDeclaredError(missing, 400, 'BAD_REQUEST')
  })
})

describe('bounds on REST input (issue 12, item 6)', () => {
  it('refuses a body over 1 MiB with 413 before parsing it, with or without Content-Length', async () => {
    const big = JSON.stringify({ theme: 'dark', pad: 'x'.repeat(MAX_BODY_BYTES) })
    expectDeclaredError(await raw('PUT', '/api/v1/settings', { ...bearer, ...json }, big), 413, 'PAYLOAD_TOO_LARGE')
    expectDeclaredError(await raw('PUT', '/api/v1/settings', { ...bearer, ...json }, big, { chunks: 8 }), 413, 'PAYLOAD_TOO_LARGE')
    const tenMiB = Buffer.alloc(10 * 1024 * 1024, 0x20)
    expectDeclaredError(await raw('POST', '/api/v1/deployments', { ...bearer, ...json }, tenMiB), 413, 'PAYLOAD_TOO_LARGE')
    expect((await raw('GET', '/api/v1/health', bearer)).status).toBe(200)
    expect(await theme()).toBe('system')
  })

  it('refuses deep nesting and broken JSON with 400 in the declared shape', async () => {
    const deep = '{"args":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'
    expectDeclaredError(await raw('POST', '/api/v1/deployments', { ...bearer, ...json }, deep), 400, 'BAD_REQUEST')
    expectDeclaredError(await raw('PUT', '/api/v1/settings', { ...bearer, ...json }, '{"theme":'), 400, 'BAD_REQUEST')
  })

  it('refuses a 100 KB email fast, naming the field', async () => {
    const email = 'a@' + '.'.repeat(100_000) + '@'
    const started = performance.now()
    const r = await raw(
      'POST',
      '/api/v1/webui/accounts',
      { ...bearer, ...json },
      JSON.stringify({ name: 'x', email, password: 'correct horse' }),
    )
    expect(performance.now() - started).toBeLessThan(1000)
    expectDeclaredError(r, 400, 'BAD_REQUEST')
    expect(r.body.data?.fields).toHaveProperty('email')
  })
})

describe('Host header (issue 12, item 8: DNS rebinding)', () => {
  it('answers its own addresses and loopback names with its port, and 421 to any other name', async () => {
    const port = new URL(server.url).port
    for (const h of [host(), `localhost:${port}`, `LOCALHOST:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await raw('GET', '/api/v1/health', { ...bearer, host: h })).status, h).toBe(200)
    }
    for (const h of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1:${Number(port) + 1}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1:${port}@x`,
    ]) {
      const r = await raw('GET', '/api/v1/health', { ...bearer, host: h })
      expectDeclaredError(r, 421, 'MISDIRECTED_REQUEST')
      expect(r.body.data?.fix).toContain('INFERADMIN_ALLOWED_HOSTS')
    }
  })

  it('gives a rebound name neither the UI, nor a session, nor the WebSocket', async () => {
    const evil = `rebind.evil.example:${new URL(server.url).port}`
    const link = await raw('GET', `/?token=${TOKEN}`, { host: evil })
    expect(link.status).toBe(421)
    expect(link.headers['set-cookie']).toBeUndefined()
    expect((await raw('GET', '/', { cookie: await login(), host: evil })).status).toBe(421)
    const status = await new Promise<number | undefined>((resolve) => {
      const ws = new WebSocket(server.url.replace('http', 'ws') + '/rpc', { headers: { ...bearer, host: evil } })
      ws.once('open', () => (ws.close(), resolve(101)))
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode))
      ws.once('error', () => resolve(undefined))
    })
    expect(status).toBe(421)
  })

  it('answers the names the user configures (a reverse proxy)', async () => {
    const other = await startHeadlessServer({
      router: core.router,
      logger: core.logger,
      version: '9.9.9',
      token: TOKEN,
      host: '127.0.0.1',
      port: 0,
      rendererDir: renderer,
      allowedHosts: ['admin.example.com', 'lab.local:8443'],
    })
    try {
      const get = (h: string): Promise<number> =>
        raw('GET', '/api/v1/health', { ...bearer, host: h }, undefined, { to: other }).then((r) => r.status)
      expect(await get('admin.example.com')).toBe(200)
      expect(await get('admin.example.com:443')).toBe(200)
      expect(await get('lab.local:8443')).toBe(200)
      expect(await get('lab.local:9000')).toBe(421)
      expect(await get('example.com')).toBe(421)
    } finally {
      await other.close()
    }
  })
})
