import { createServer, type Server } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RegistryClient, RegistryError } from './registry'

// A minimal registry v2 on loopback: bearer challenge + token endpoint, tags/list in pages of 2 with Link headers,
// manifests for every tag.
let server: Server
let base: string
let log: string[]
const TAGS = ['latest', 'nightly-0123456789abcdef0123456789abcdef01234567', 'v0.10.0', 'v0.11.0', 'v0.12.0']

beforeEach(async () => {
  log = []
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base)
    log.push(`${req.method} ${url.pathname}${url.search}`)
    if (url.pathname === '/token') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ token: `t-${url.searchParams.get('scope')}` }))
    }
    if (req.headers.authorization !== 'Bearer t-repository:org/vllm:pull') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="test",scope="repository:org/vllm:pull"` })
      return res.end()
    }
    if (url.pathname === '/v2/org/vllm/tags/list') {
      const last = url.searchParams.get('last')
      const start = last ? TAGS.indexOf(last) + 1 : 0
      const page = TAGS.slice(start, start + 2)
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (start + 2 < TAGS.length) headers.link = `</v2/org/vllm/tags/list?last=${page[page.length - 1]}&n=2>; rel="next"`
      res.writeHead(200, headers)
      return res.end(JSON.stringify({ name: 'org/vllm', tags: page }))
    }
    const m = /^\/v2\/org\/vllm\/manifests\/(.+)$/.exec(url.pathname)
    if (m && TAGS.includes(m[1]!)) {
      res.writeHead(200, {
        'content-type': 'application/vnd.docker.distribution.manifest.v2+json',
        'docker-content-digest': `sha256:${m[1]!.length}`,
      })
      return res.end(
        JSON.stringify({ schemaVersion: 2, config: { digest: 'sha256:cfg', size: 10 }, layers: [{ digest: 'sha256:l1', size: 100 }] }),
      )
    }
    if (url.pathname === '/v2/org/vllm/blobs/sha256:cfg') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ created: '2026-01-02T03:04:05Z' }))
    }
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const a = server.address()
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`
})

afterEach(async () => {
  await new Promise((r) => server.close(r))
})

describe('RegistryClient', () => {
  it('answers the bearer challenge once and follows Link pagination', async () => {
    const c = new RegistryClient({ baseUrl: base })
    expect(await c.listTags('org/vllm')).toEqual(TAGS)
    expect(log.filter((l) => l.startsWith('GET /token'))).toEqual(['GET /token?service=test&scope=repository%3Aorg%2Fvllm%3Apull'])
  })

  it('reads digest, size and date per tag; commit nightlies last under the cap', async () => {
    const c = new RegistryClient({ baseUrl: base })
    const tags = await c.listDetailed('org/vllm', undefined, 2, 4)
    expect(tags.find((t) => t.name === 'v0.10.0')).toEqual({
      name: 'v0.10.0',
      date: '2026-01-02T03:04:05Z',
      digest: 'sha256:7',
      sizeBytes: 110,
    })
    expect(tags.find((t) => t.name.startsWith('nightly-'))).toMatchObject({ digest: null, date: null })
  })

  it('an unknown tag is not_found; a closed port is unreachable', async () => {
    const c = new RegistryClient({ baseUrl: base })
    const unknown = (await c.manifest('org/vllm', 'v9.9.9').catch((e: unknown) => e)) as RegistryError
    expect(unknown.kind).toBe('not_found')
    expect(unknown.message).toBe('The tag v9.9.9 does not exist in org/vllm.')
    const spare = createServer()
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r))
    const a = spare.address()
    const port = typeof a === 'object' && a ? a.port : 0
    await new Promise((r) => spare.close(r))
    const closed = new RegistryClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000 })
    const err = await closed.listTags('org/vllm').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RegistryError)
    expect((err as RegistryError).kind).toBe('unreachable')
    expect((err as RegistryError).message).toBe(`The registry at 127.0.0.1:${port} is unreachable (ECONNREFUSED).`)
  })
})
