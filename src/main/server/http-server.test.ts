import { createORPCClient } from '@orpc/client'
import { RPCLink } from '@orpc/client/websocket'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { ApiClient } from '../../shared/contract'
import type { PoolsSnapshot } from '../../shared/contract/system'
import { COOKIE_NAME } from './auth'
import { MAX_WS_MESSAGE_BYTES } from './guards'
import type { HeadlessServer } from './http-server'
import { startTestServer, type TestServer } from './test-server'

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv'
let server: HeadlessServer

let t: TestServer

beforeAll(async () => {
  t = await startTestServer('inferadmin-server-', TOKEN)
  server = t.server
})

afterAll(async () => {
  await t?.close()
})

const auth = { authorization: `Bearer ${TOKEN}` }

/** Opens the token link and returns the session cookie it sets ("name=value"). */
async function sessionCookie(): Promise<string> {
  const res = await fetch(`${server.url}/?token=${TOKEN}`, { redirect: 'manual' })
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string
}

describe('headless server auth', () => {
  it('answers 401 and nothing else without a valid token', async () => {
    for (const path of ['/api/v1/health', '/api/v1/settings', '/', '/settings', '/api/v1/openapi.json']) {
      const res = await fetch(server.url + path)
      expect(res.status, path).toBe(401)
      const body = await res.text()
      // What the user sees: how to get in, and neither the app shell nor any data.
      expect(body, path).toContain('?token=')
      expect(body, path).not.toContain('<div id="app">')
      expect(body, path).not.toContain('"openapi"')
      expect(body, path).not.toContain('9.9.9')
    }
    const wrong = await fetch(server.url + '/api/v1/health', { headers: { authorization: 'Bearer nope' } })
    expect(wrong.status).toBe(401)
  })

  it('serves health with the bearer token', async () => {
    const res = await fetch(server.url + '/api/v1/health', { headers: auth })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok', version: '9.9.9' })
  })

  it('trades ?token= for an HttpOnly SameSite=Strict cookie and drops the token from the address', async () => {
    const res = await fetch(`${server.url}/settings?token=${TOKEN}&x=1`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/settings?x=1')
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(new RegExp(`^${COOKIE_NAME}=`))
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    const page = await fetch(`${server.url}/settings`, { headers: { cookie: cookie.split(';')[0] as string } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(await page.text()).toContain('<div id="app">')
    const bad = await fetch(`${server.url}/?token=wrong`, { redirect: 'manual' })
    expect(bad.status).toBe(401)
  })
})

describe('REST + OpenAPI', () => {
  it('lists the settings routes in openapi.json', async () => {
    const doc = (await (await fetch(server.url + '/api/v1/openapi.json', { headers: auth })).json()) as {
      paths: Record<string, Record<string, unknown>>
    }
    expect(Object.keys(doc.paths['/settings'] ?? {})).toEqual(expect.arrayContaining(['get', 'put']))
    expect(doc.paths).toHaveProperty('/health')
  })

  it('rejects a wrong type with 400 naming the field, and saves nothing', async () => {
    const res = await fetch(server.url + '/api/v1/settings', {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ gpuRefreshMs: 'fast', theme: 'dark' }),
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { message: string; data: { fields: Record<string, string>; fix: string } }
    expect(body.message).toContain('gpuRefreshMs')
    expect(body.data.fields).toHaveProperty('gpuRefreshMs')
    expect(body.data.fix).toBeTruthy()
    const after = (await (await fetch(server.url + '/api/v1/settings', { headers: auth })).json()) as { settings: { theme: string } }
    expect(after.settings.theme).toBe('system')
  })

  it('never returns the HF token value', async () => {
    const put = await fetch(server.url + '/api/v1/settings', {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ hfToken: 'hf_topsecret42' }),
    })
    const putText = await put.text()
    expect(put.status).toBe(200)
    expect(putText).not.toContain('hf_topsecret42')
    const get = await (await fetch(server.url + '/api/v1/settings', { headers: auth })).text()
    expect(get).not.toContain('hf_topsecret42')
    expect(JSON.parse(get).hfToken).toEqual({ set: true })
  })
})

describe('WebSocket RPC', () => {
  const open = (headers: Record<string, string>) =>
    new Promise<{ ok: boolean; status?: number; ws?: WebSocket }>((resolve) => {
      const ws = new WebSocket(server.url.replace('http', 'ws') + '/rpc', { headers })
      ws.once('open', () => resolve({ ok: true, ws }))
      ws.once('unexpected-response', (_req, res) => resolve({ ok: false, status: res.statusCode }))
      ws.once('error', () => resolve({ ok: false }))
    })
  const host = () => new URL(server.url).host

  it('refuses a foreign Origin even with a valid cookie', async () => {
    const r = await open({ cookie: await sessionCookie(), origin: 'http://evil.example' })
    expect(r).toMatchObject({ ok: false, status: 403 })
    // Scripts with the bearer token may send our own Origin (test/deployments/support.ts does).
    const scripted = await open({ ...auth, origin: `http://${host()}` })
    expect(scripted.ok).toBe(true)
    scripted.ws?.close()
  })

  it('refuses a missing token, and the token itself as a cookie', async () => {
    expect(await open({ origin: `http://${host()}` })).toMatchObject({ ok: false, status: 401 })
    expect(await open({ cookie: `${COOKIE_NAME}=${TOKEN}`, origin: `http://${host()}` })).toMatchObject({ ok: false, status: 401 })
  })

  it('closes a connection whose message is over the cap, and keeps serving others', async () => {
    const r = await open({ ...auth })
    const closed = new Promise<number>((resolve) => r.ws?.once('close', (code) => resolve(code)))
    r.ws?.send(Buffer.alloc(MAX_WS_MESSAGE_BYTES + 1, 0x20))
    expect(await closed).toBe(1009)
    const again = await open({ ...auth })
    expect(again.ok).toBe(true)
    const client: ApiClient = createORPCClient(new RPCLink({ websocket: again.ws as unknown as globalThis.WebSocket }))
    expect(await client.system.health()).toEqual({ status: 'ok', version: '9.9.9' })
    again.ws?.close()
  })

  it('serves calls and event-iterator streams to our own origin', async () => {
    const r = await open({ cookie: await sessionCookie(), origin: `http://${host()}` })
    expect(r.ok).toBe(true)
    const client: ApiClient = createORPCClient(new RPCLink({ websocket: r.ws as unknown as globalThis.WebSocket }))
    expect(await client.system.health()).toEqual({ status: 'ok', version: '9.9.9' })
    const bad = await client.settings
      .update({ ioConcurrency: 0 })
      .catch((e: unknown) => e as { code: string; data: { fields: Record<string, string> } })
    expect(bad).toMatchObject({ code: 'BAD_REQUEST' })
    expect((bad as { data: { fields: Record<string, string> } }).data.fields).toHaveProperty('ioConcurrency')
    const stream = await client.system.watchPools()
    const first = (await stream.next()).value as PoolsSnapshot
    expect(first.pools.map((p) => p.kind)).toEqual(['cpu', 'io'])
    await stream.return?.(undefined)
    r.ws?.close()
  })
})
