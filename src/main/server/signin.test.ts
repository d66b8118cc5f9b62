import { homedir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COOKIE_NAME } from './auth'
import { SESSION_TTL_MS, SessionStore } from './sessions'
import { displayPath, signInPage } from './signin-page'
import { startTestServer, type TestServer } from './test-server'

const TOKEN = 'test-token-signin-0123456789abcdefghijklmnop'
let t: TestServer
let now = Date.now()
let serverFile: string

beforeAll(async () => {
  const sessions = await SessionStore.open({ now: () => now })
  serverFile = join('/srv/inferadmin-test', 'server.json')
  t = await startTestServer('inferadmin-signin-', TOKEN, { sessions, serverFile })
})

afterAll(async () => {
  await t?.close()
})

const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${t.server.url}${path}`, { headers, redirect: 'manual' })

async function login(headers: Record<string, string> = {}): Promise<{ cookie: string; setCookie: string }> {
  const res = await get(`/?token=${TOKEN}`, headers)
  expect(res.status).toBe(302)
  const setCookie = res.headers.get('set-cookie') ?? ''
  return { cookie: setCookie.split(';')[0] ?? '', setCookie }
}

describe('a browser without a session gets a sign-in page, not a bare 401', () => {
  it('says why, how to get a fresh link (the command, server.json, --new-token), and takes the token', async () => {
    const res = await get('/', { accept: 'text/html' })
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toContain('text/html')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const html = await res.text()
    expect(html).toContain('<title>Sign in — InferAdmin</title>')
    expect(html).toContain('This browser is not signed in')
    expect(html).toContain('<code>inferadmin serve</code>')
    expect(html).toContain(`<code>${serverFile}</code>`)
    expect(html).toContain('<code>inferadmin serve --new-token</code>')
    expect(html).toMatch(/<form method="get" action="\/">[\s\S]*<input id="token" name="token" type="password"/)
    expect(html).not.toContain(TOKEN)
    // no script: the page works under the CSP and without a session
    expect(html).not.toContain('<script')
  })

  it('the token pasted in its form (GET /?token=) signs in like the link', async () => {
    const { cookie } = await login()
    expect((await get('/', { cookie })).status).toBe(200)
  })

  it('a link with a wrong or old token says the link is no longer valid, and sets no cookie', async () => {
    const res = await get('/?token=an-old-token', { accept: 'text/html' })
    expect(res.status).toBe(401)
    expect(res.headers.get('set-cookie')).toBeNull()
    const html = await res.text()
    expect(html).toContain('This sign-in link is no longer valid')
    expect(html).not.toContain('an-old-token')
  })

  it('scripts and the API still get the declared JSON error', async () => {
    const res = await get('/api/v1/health')
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED', data: { fix: expect.stringContaining('server.json') } })
  })
})

describe('the session cookie', () => {
  it('lasts 30 days (a browser restart keeps it), HttpOnly and SameSite=Strict; Secure only behind HTTPS', async () => {
    const plain = await login()
    for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/', `Max-Age=${SESSION_TTL_MS / 1000}`])
      expect(plain.setCookie).toContain(`; ${attr}`)
    expect(plain.setCookie).not.toContain('Secure')
    const proxied = await login({ 'x-forwarded-proto': 'https' })
    expect(proxied.setCookie).toMatch(/; Secure$/)
  })

  it('is extended when the app is opened past half its lifetime, with the same secret', async () => {
    const { cookie } = await login()
    const page = await get('/', { cookie })
    expect(page.status).toBe(200)
    expect(page.headers.get('set-cookie')).toBeNull() // fresh: nothing to renew
    now += SESSION_TTL_MS / 2 + 60_000
    const later = await get('/', { cookie })
    expect(later.status).toBe(200)
    expect(later.headers.get('set-cookie')).toMatch(new RegExp(`^${cookie}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000$`))
    now += SESSION_TTL_MS - 120_000 // past the first lifetime, within the renewed one
    expect((await get('/api/v1/health', { cookie })).status).toBe(200)
    now += 120_000
    expect((await get('/api/v1/health', { cookie })).status).toBe(401)
    expect(cookie.startsWith(`${COOKIE_NAME}=`)).toBe(true)
  })
})

describe('sign-in page text', () => {
  it('names server.json with the home folder as ~, and escapes what it shows', () => {
    expect(displayPath(join(homedir(), '.config/inferadmin/server.json'))).toBe('~/.config/inferadmin/server.json')
    expect(displayPath('/srv/x/server.json', '/home/a')).toBe('/srv/x/server.json')
    expect(displayPath('/home/ab/server.json', '/home/a')).toBe('/home/ab/server.json')
    expect(signInPage({ reason: 'no-session', serverFile: '/tmp/<b>/server.json' })).toContain('<code>/tmp/&lt;b&gt;/server.json</code>')
    expect(signInPage({ reason: 'no-session', serverFile: null })).toContain('<code>server.json</code> (in the InferAdmin config folder)')
  })
})
