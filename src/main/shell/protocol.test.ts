import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { fake } from './fake-electron'
import { createRendererHandler, handleAppProtocol, registerAppScheme } from './protocol'

vi.mock('electron', async () => (await import('./fake-electron')).electronModule)

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

let root: string
let serve: (request: Request) => Promise<Response>

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'inferadmin-protocol-'))
  root = join(dir, 'renderer')
  mkdirSync(join(root, 'assets'), { recursive: true })
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>InferAdmin</title>')
  writeFileSync(join(root, 'assets', 'app.js'), 'export const app = 1')
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer')
  serve = createRendererHandler(root)
})

const get = (url: string, method = 'GET'): Promise<Response> => serve(new Request(url, { method }))

describe('app:// scheme', () => {
  it('is registered as a standard, secure scheme', () => {
    registerAppScheme()
    expect(fake.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }),
    ])
  })

  it('serves the built renderer with the strict CSP on every response', async () => {
    handleAppProtocol(root)
    const handler = fake.protocolHandlers.get('app')
    if (!handler) throw new Error('app scheme not handled')
    const page = await handler(new Request('app://inferadmin/'))
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toBe(CSP)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await page.text()).toContain('<title>InferAdmin</title>')

    const script = await get('app://inferadmin/assets/app.js')
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(script.headers.get('content-security-policy')).toBe(CSP)
    expect(script.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('answers client-side routes with index.html', async () => {
    const res = await get('app://inferadmin/deployments/abc')
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<title>InferAdmin</title>')
  })

  it('answers 404 for missing files, other hosts and paths outside the renderer', async () => {
    expect((await get('app://inferadmin/assets/missing.js')).status).toBe(404)
    expect((await get('app://other/index.html')).status).toBe(404)
    expect((await get('app://inferadmin/..%2fsecret.txt')).status).toBe(404)
    expect((await get('app://inferadmin/%2e%2e/secret.txt')).status).toBe(404)
  })

  it('only answers GET and HEAD', async () => {
    expect((await get('app://inferadmin/', 'POST')).status).toBe(405)
    const head = await get('app://inferadmin/', 'HEAD')
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })
})
