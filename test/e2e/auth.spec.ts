import { createORPCClient } from '@orpc/client'
import { RPCLink } from '@orpc/client/websocket'
import WebSocket from 'ws'
import type { ApiClient } from '../../src/shared/contract'
import { AppShell } from './pages/app-shell'
import { expect, test } from './support/fixtures'
import { sessionCookie } from './support/server'

type Handshake = { opened: true } | { opened: false; status?: number; error?: string }

/** Tries a WebSocket handshake to /rpc with the given headers (Node `ws`, so any Origin can be sent). */
function handshake(url: string, headers: Record<string, string>): Promise<Handshake> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => {
      ws.close()
      resolve({ opened: true })
    })
    ws.once('unexpected-response', (req, res) => {
      resolve({ opened: false, status: res.statusCode })
      res.resume()
      req.destroy()
    })
    ws.once('error', (err) => resolve({ opened: false, error: err.message }))
  })
}

function rpcUrl(url: string): string {
  return `${url.replace(/^http/, 'ws')}/rpc`
}

test.describe('access control', () => {
  test('a browser without a session gets a sign-in page saying how to get a fresh link; the pasted token signs in', async ({
    browser,
    server,
  }) => {
    const context = await browser.newContext() // fresh: no session cookie
    const page = await context.newPage()
    const response = await page.goto(`${server.url}/`)
    expect(response?.status()).toBe(401)
    await expect(page).toHaveTitle('Sign in — InferAdmin')
    await expect(page.getByRole('heading', { name: 'This browser is not signed in' })).toBeVisible()
    const steps = page.getByRole('list', { name: 'How to get a sign-in link' })
    await expect(steps).toContainText('inferadmin serve')
    await expect(steps).toContainText(`${server.home}/server.json`)
    await expect(steps).toContainText('inferadmin serve --new-token')
    await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0)

    const wrong = await page.goto(`${server.url}/?token=not-the-token`)
    expect(wrong?.status()).toBe(401)
    await expect(page.getByRole('heading', { name: 'This sign-in link is no longer valid' })).toBeVisible()
    expect((await context.cookies()).filter((c) => c.name === 'inferadmin_session')).toHaveLength(0)

    // The token from server.json, pasted into the page, signs in and leaves the address bar clean.
    await page.getByLabel('Access token').fill(server.token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect(new AppShell(page).connection).toHaveAccessibleName('Server connection: Connected')
    expect(page.url()).not.toContain(server.token)
    await context.close()
  })

  test('the session outlives the browser: a new browser with the saved cookies opens the app directly', async ({
    app,
    browser,
    server,
  }) => {
    const state = await app.page.context().storageState()
    // Only cookies with an expiry survive a browser restart; a session cookie would be dropped here.
    const persistent = { ...state, cookies: state.cookies.filter((c) => c.expires > 0) }
    expect(persistent.cookies.map((c) => c.name)).toContain('inferadmin_session')
    const restarted = await browser.newContext({ storageState: persistent })
    const page = await restarted.newPage()
    const response = await page.goto(`${server.url}/`)
    expect(response?.status()).toBe(200)
    await expect(new AppShell(page).connection).toHaveAccessibleName('Server connection: Connected')
    await restarted.close()
  })

  test('the token link sets an HttpOnly, SameSite=Strict session cookie that is not the token', async ({ app, server }) => {
    const cookies = await app.page.context().cookies()
    const session = cookies.find((c) => c.name === 'inferadmin_session')
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
    expect(session?.value).not.toContain(server.token)
    // Lasts 30 days (Max-Age), not just until the browser closes.
    expect(session?.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 24 * 3600)
    expect(cookies.map((c) => c.value).join(' ')).not.toContain(server.token)
    expect(await app.page.evaluate<string>('document.cookie')).not.toContain('inferadmin_session')
  })

  test('the REST API needs the token', async ({ playwright, server }) => {
    const anonymous = await playwright.request.newContext()
    expect((await anonymous.get(`${server.url}/api/v1/health`)).status()).toBe(401)
    expect((await anonymous.get(`${server.url}/api/v1/settings`)).status()).toBe(401)
    const wrong = await anonymous.get(`${server.url}/api/v1/health`, { headers: { authorization: 'Bearer nope' } })
    expect(wrong.status()).toBe(401)
    const ok = await anonymous.get(`${server.url}/api/v1/health`, {
      headers: { authorization: `Bearer ${server.token}` },
    })
    expect(ok.status()).toBe(200)
    expect(await ok.json()).toMatchObject({ status: 'ok' })
    await anonymous.dispose()
  })

  test('the RPC WebSocket refuses a foreign Origin even with valid credentials', async ({ server }) => {
    const url = rpcUrl(server.url)
    const cookie = await sessionCookie(server)
    const evil = 'http://evil.example'

    const credentialSets: Record<string, string>[] = [{ cookie }, { authorization: `Bearer ${server.token}` }]
    for (const credentials of credentialSets) {
      const refused = await handshake(url, { ...credentials, origin: evil })
      expect(refused.opened).toBe(false)
      if (!refused.opened) expect([401, 403]).toContain(refused.status)
    }
    const noCredentials = await handshake(url, { origin: server.url })
    expect(noCredentials).toEqual({ opened: false, status: 401 })

    expect(await handshake(url, { cookie, origin: server.url })).toEqual({ opened: true })
    // The token is no cookie: only the session the link set is.
    const tokenAsCookie = `inferadmin_session=${encodeURIComponent(server.token)}`
    expect(await handshake(url, { cookie: tokenAsCookie, origin: server.url })).toEqual({ opened: false, status: 401 })
  })

  test('a rebound host name (DNS rebinding) gets 421 even with valid credentials', async ({ server }) => {
    const port = new URL(server.url).port
    const name = `rebind.example:${port}`
    const rebound = await handshake(rpcUrl(server.url), { cookie: await sessionCookie(server), origin: `http://${name}`, host: name })
    expect(rebound).toEqual({ opened: false, status: 421 })
  })

  test('an accepted WebSocket serves the typed RPC contract', async ({ server }) => {
    const ws = new WebSocket(rpcUrl(server.url), {
      headers: { cookie: await sessionCookie(server), origin: server.url },
    })
    const api: ApiClient = createORPCClient(new RPCLink({ websocket: ws as unknown as globalThis.WebSocket }))
    try {
      expect(await api.system.health()).toMatchObject({ status: 'ok' })
      const info = await api.system.info()
      expect(info.mode).toBe('headless')
      expect(info.dataDir).toContain(server.home)
    } finally {
      ws.close()
    }
  })
})
