/**
 * http-get.ts over HTTPS, as the real Hub and its CDN are served: a local TLS server with a throwaway
 * self-signed certificate made at test time (openssl CLI, into a temp dir that is removed; no key is
 * committed). The client verifies the certificate as in production, trusting the test's certificate
 * through the `ca` option only.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpProtocolError } from './http-chunked'
import { httpGet, MAX_HEAD, type BodySink, type HttpResponse } from './http-get'

// Skipped, not failed, where the openssl CLI is missing: the certificate is made with it at test time.
const hasOpenssl = spawnSync('openssl', ['version']).status === 0

const body = randomBytes(3 * 1024 * 1024 + 123)
let dir = ''
let cert = ''
let server: Server
let base = ''
let connections = 0

/** A sink like the file writer's: reads land in its own memory (space/filled), framing bytes come by copy. */
function sink(): BodySink & { bytes(): Buffer } {
  const mem = Buffer.alloc(body.length + 1024)
  let n = 0
  return {
    paused: false,
    done: false,
    space: () => mem.subarray(n, Math.min(mem.length, n + 256 * 1024)),
    filled: (k) => void (n += k),
    copy: (b) => void (n += b.copy(mem, n)),
    bytes: () => mem.subarray(0, n),
  }
}

async function read(res: HttpResponse): Promise<Buffer> {
  const s = sink()
  await res.read(s)
  return Buffer.from(s.bytes())
}

describe.skipIf(!hasOpenssl)('http-get over TLS (openssl CLI for a throwaway certificate)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inferadmin-tls-'))
    // -keyout/-out as arguments (the temp dir) so nothing lands in the working tree
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1']
    args.push('-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1')
    args.push('-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'))
    const r = spawnSync('openssl', args, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`)
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert, keepAliveTimeout: 10_000 }, (req, res) => {
      if (req.url === '/length') res.writeHead(200, { 'content-length': body.length }).end(body)
      else if (req.url === '/chunked') {
        // no length: node frames it chunked; pieces of odd sizes, some split over several TLS records
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        for (let i = 0; i < body.length; i += 100_003) res.write(body.subarray(i, i + 100_003))
        res.end()
      } else if (req.url === '/big-head') res.writeHead(200, { 'x-big': 'a'.repeat(MAX_HEAD + 10), 'content-length': 2 }).end('ok')
      else res.writeHead(404, { 'content-length': 0 }).end()
    })
    server.on('secureConnection', () => connections++)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const a = server.address()
    base = `https://localhost:${typeof a === 'object' && a ? a.port : 0}`
  })
  afterAll(async () => {
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
    rmSync(dir, { recursive: true, force: true })
  })

  const signal = new AbortController().signal

  it('reads a Content-Length body, a chunked body and one more on the same kept-alive connection', async () => {
    connections = 0
    const ca = { ca: cert }
    const a = await httpGet(`${base}/length`, {}, signal, ca)
    expect(a.status).toBe(200)
    expect((await read(a)).equals(body)).toBe(true)
    const b = await httpGet(`${base}/chunked`, {}, signal, ca)
    expect(b.headers.get('transfer-encoding')).toBe('chunked')
    expect((await read(b)).equals(body)).toBe(true)
    const c = await httpGet(`${base}/length`, {}, signal, ca)
    expect((await read(c)).equals(body)).toBe(true)
    expect(connections).toBe(1)
  })

  it('verifies the certificate: without the test CA the self-signed server is refused', async () => {
    const err = await httpGet(`${base}/length`, {}, signal).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    )
    expect(err?.message).toBe('fetch failed')
    expect(err?.cause?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/)
  })

  it('says so when the response headers exceed MAX_HEAD', async () => {
    const err = await httpGet(`${base}/big-head`, {}, signal, { ca: cert }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HttpProtocolError)
    expect(String(err)).toMatch(/localhost:\d+ sent response headers larger than 64 KiB/)
  })
})
