import { request } from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHeadlessServer, type HeadlessServer } from './http-server'
import { startTestServer, type TestServer } from './test-server'

const TOKEN = 'test-token-static-0123456789abcdefghijklmnop'
const auth = { authorization: `Bearer ${TOKEN}` }
const ASSET = '/assets/index-Bx9f3k2A.js'
const SCRIPT = 'console.log("the app")\n'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer('inferadmin-static-', TOKEN)
  mkdirSync(join(t.renderer, 'assets'))
  writeFileSync(join(t.renderer, ASSET), SCRIPT)
  writeFileSync(join(t.renderer, 'favicon.ico'), Buffer.from([0, 0, 1, 0]))
  // Outside the UI: beside it, and in a sibling whose name starts like the UI's folder.
  writeFileSync(join(t.dir, 'secret.txt'), 'top secret')
  mkdirSync(join(t.dir, 'renderer-evil'))
  writeFileSync(join(t.dir, 'renderer-evil', 'x.js'), 'top secret')
})

afterAll(async () => {
  await t?.close()
})

const get = (path: string, init: RequestInit = {}, to: HeadlessServer = t.server): Promise<Response> =>
  fetch(to.url + path, { ...init, headers: { ...auth, ...init.headers } })

/** GET with the path sent exactly as written (fetch would resolve the dot segments first). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.server.port, path, headers: auth }, (res) => {
      let body = ''
      res.on('data', (b: Buffer) => (body += b.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the built UI over HTTP', () => {
  it('serves index.html at / and for client routes, revalidated on every load, under the CSP', async () => {
    for (const path of ['/', '/models', '/deployments/chat-1/logs']) {
      const res = await get(path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/)
      expect(res.headers.get('cache-control'), path).toBe('no-cache')
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'self'")
      expect(await res.text(), path).toContain('<div id="app">')
    }
  })

  it('serves hashed assets as immutable for a year, other files as no-cache', async () => {
    const js = await get(ASSET)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(js.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/)
    expect(js.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await js.text()).toBe(SCRIPT)
    const icon = await get('/favicon.ico')
    expect(icon.status).toBe(200)
    expect(icon.headers.get('cache-control')).toBe('no-cache')
    expect(Buffer.from(await icon.arrayBuffer())).toEqual(Buffer.from([0, 0, 1, 0]))
  })

  it('answers 404 for a missing file with an extension instead of the app page', async () => {
    for (const path of ['/assets/index-gone1234.js', '/logo@2x.png', '/missing.css']) {
      const res = await get(path)
      expect(res.status, path).toBe(404)
      expect(await res.text(), path).not.toContain('<div id="app">')
    }
  })

  it('never serves a file outside the UI folder', async () => {
    for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/../renderer-evil/x.js']) {
      const res = await rawGet(path)
      expect(res.body, path).not.toContain('top secret')
      expect([200, 400, 403, 404], path).toContain(res.status)
    }
  })

  it('answers a reload of an unchanged page with 304 (ETag), so no-cache costs no download', async () => {
    const first = await get('/settings')
    const etag = first.headers.get('etag')
    expect(etag).toBeTruthy()
    const again = await get('/settings', { headers: { 'if-none-match': etag as string } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
  })

  it('answers HEAD without a body', async () => {
    const res = await get('/', { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })

  it('serves a UI rebuilt while the server runs, without a restart', async () => {
    const dir = mkdtempSync(join(t.dir, 'rebuilt-'))
    const server = await startHeadlessServer({ ...serverOpts(), rendererDir: dir })
    try {
      const before = await get('/', {}, server)
      expect(before.status).toBe(503)
      expect(await before.text()).toBe('The UI is not built. Run `npm run build`.')
      expect((await get('/assets/app-1.js', {}, server)).status).toBe(404)
      mkdirSync(join(dir, 'assets'))
      writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app">first build</div>')
      writeFileSync(join(dir, 'assets', 'app-1.js'), 'one')
      expect(await (await get('/settings', {}, server)).text()).toContain('first build')
      // A second build: a longer page and a new asset name.
      writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app">second build, a longer page</div>')
      writeFileSync(join(dir, 'assets', 'app-2.js'), 'two')
      expect(await (await get('/', {}, server)).text()).toBe('<!doctype html><div id="app">second build, a longer page</div>')
      expect(await (await get('/assets/app-2.js', {}, server)).text()).toBe('two')
      rmSync(join(dir, 'index.html'))
      expect((await get('/models', {}, server)).status).toBe(503)
    } finally {
      await server.close()
    }
  })
})

function serverOpts(): Parameters<typeof startHeadlessServer>[0] {
  return {
    router: t.core.router,
    logger: t.core.logger,
    version: '9.9.9',
    token: TOKEN,
    host: '127.0.0.1',
    port: 0,
    rendererDir: t.renderer,
  }
}
