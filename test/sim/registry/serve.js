// @ts-check
/**
 * One process, two stand-ins over the simulated registry (registry.js starts it detached):
 *
 * Front (SIM_REGISTRY_FRONT_PORT) — registry API v2 as a client meets Docker Hub's registry:
 *   every /v2/ request without a valid bearer token gets 401 + `WWW-Authenticate: Bearer realm=…/token,
 *   service=…,scope=repository:<name>:pull`; GET /token issues {token, access_token, expires_in, issued_at}
 *   (anonymous for pull, basic auth sim:sim-password for push). Everything else is proxied to the real registry
 *   (Host kept, so upload Locations point back here). Faults: throttleBps (response bodies), down (reset every
 *   connection), anonymous=false (token endpoint refuses anonymous callers → unauthorized).
 *
 * Docker Hub API (SIM_DOCKERHUB_PORT) — GET /v2/repositories/<ns>/<name>/tags?page=&page_size= and
 *   /v2/namespaces/<ns>/repositories/<name>/tags: {count, next, previous, results: [{name, last_updated,
 *   full_size, digest, tag_status, content_type, images: [{architecture, os, digest, size, status, last_pushed}]}]},
 *   newest first; built from the registry's tags, manifests and config blobs (release dates for known tags).
 *   Control: GET /_sim/health, POST /_sim/faults {throttleBps?, down?, anonymous?}.
 */
import { randomBytes } from 'node:crypto'
import { createServer, request } from 'node:http'
import { Transform } from 'node:stream'

const upstream = new URL(process.env.SIM_REGISTRY_UPSTREAM ?? 'http://127.0.0.1:5000')
const frontPort = Number(process.env.SIM_REGISTRY_FRONT_PORT ?? 0)
const hubPort = Number(process.env.SIM_DOCKERHUB_PORT ?? 0)
const SERVICE = 'inferadmin-sim-registry'
const USER = 'sim'
const PASSWORD = 'sim-password'

const faults = { throttleBps: 0, down: false, anonymous: true }
/** @type {Map<string, {push: boolean, expires: number}>} */
const tokens = new Map()

/** Release dates of the simulated tags (approximate upstream dates, vllm-facts §1.3); others: the image's created time. */
const RELEASE_DATES = /** @type {Record<string, string>} */ ({
  'v0.10.0': '2025-07-24T18:02:11.000000Z',
  'v0.11.0': '2025-10-02T21:10:44.000000Z',
  'v0.12.0': '2025-12-03T17:41:09.000000Z',
  'v0.12.0-x86_64': '2025-12-03T17:20:51.000000Z',
  'v0.21.0': '2026-05-20T16:33:27.000000Z',
  'v0.21.0-cu129': '2026-05-20T17:05:02.000000Z',
  latest: '2026-05-20T16:34:02.000000Z',
})

/** @param {number} bps */
function throttle(bps) {
  let sent = 0
  const t0 = Date.now()
  return new Transform({
    transform(chunk, _enc, cb) {
      /** @type {Buffer[]} */
      const parts = []
      for (let i = 0; i < chunk.length; i += 16 * 1024) parts.push(chunk.subarray(i, i + 16 * 1024))
      const next = () => {
        const part = parts.shift()
        if (!part) return cb()
        sent += part.length
        const wait = (sent / bps) * 1000 - (Date.now() - t0)
        this.push(part)
        setTimeout(next, Math.max(0, wait))
      }
      next()
    },
  })
}

/** @param {import('node:http').IncomingMessage} req */
function bearer(req) {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
  const t = m?.[1] ? tokens.get(m[1]) : undefined
  return t && t.expires > Date.now() ? t : undefined
}

const front = createServer((req, res) => {
  if (faults.down) return req.socket.destroy()
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
  if (url.pathname === '/token') {
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')
    const [user, pass] = basic?.[1] ? Buffer.from(basic[1], 'base64').toString().split(':') : []
    const scope = url.searchParams.get('scope') ?? ''
    const wantsPush = /:(?:[a-z,]*push|\*)/.test(scope)
    const authed = user === USER && pass === PASSWORD
    if ((basic && !authed) || (!authed && (wantsPush || !faults.anonymous))) {
      res.writeHead(401, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ details: 'incorrect username or password' }))
    }
    const token = randomBytes(16).toString('hex')
    tokens.set(token, { push: authed, expires: Date.now() + 300_000 })
    res.writeHead(200, { 'content-type': 'application/json' })
    return res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }))
  }
  if (url.pathname.startsWith('/v2')) {
    const tok = bearer(req)
    const write = req.method !== 'GET' && req.method !== 'HEAD'
    if (!tok || (write && !tok.push)) {
      const name = /^\/v2\/(.+?)\/(?:tags|manifests|blobs)\//.exec(url.pathname)?.[1]
      const scope = name ? `,scope="repository:${name}:${write ? 'pull,push' : 'pull'}"` : ''
      res.writeHead(401, {
        'content-type': 'application/json',
        'docker-distribution-api-version': 'registry/2.0',
        'www-authenticate': `Bearer realm="http://${req.headers.host}/token",service="${SERVICE}"${scope}`,
      })
      return res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] }))
    }
  }
  const headers = { ...req.headers }
  delete headers.authorization
  const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (ures) => {
    res.writeHead(ures.statusCode ?? 502, ures.headers)
    if (faults.throttleBps > 0) ures.pipe(throttle(faults.throttleBps)).pipe(res)
    else ures.pipe(res)
  })
  up.on('error', () => res.destroy())
  res.on('close', () => up.destroy())
  req.pipe(up)
})

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ')

/** @param {string} path @param {Record<string, string>} [headers] */
async function reg(path, headers = {}) {
  const r = await fetch(new URL(path, upstream), { headers })
  if (!r.ok) throw Object.assign(new Error(`registry ${path}: ${r.status}`), { status: r.status })
  return r
}

/** @param {string} name @param {string} tag */
async function tagInfo(name, tag) {
  const r = await reg(`/v2/${name}/manifests/${tag}`, { accept: MANIFEST_ACCEPT })
  const digest = r.headers.get('docker-content-digest') ?? ''
  const m = /** @type {{config?: {digest: string, size: number}, layers?: {size: number}[]}} */ (await r.json())
  const size = (m.layers ?? []).reduce((a, l) => a + l.size, 0) + (m.config?.size ?? 0)
  const config = /** @type {{created?: string, architecture?: string, os?: string}} */ (
    m.config ? await (await reg(`/v2/${name}/blobs/${m.config.digest}`)).json() : {}
  )
  const date = RELEASE_DATES[tag] ?? config.created ?? new Date().toISOString()
  return {
    creator: 1,
    id: 1,
    images: [
      {
        architecture: config.architecture ?? 'amd64',
        features: '',
        variant: null,
        digest,
        os: config.os ?? 'linux',
        os_features: '',
        os_version: null,
        size,
        status: 'active',
        last_pulled: null,
        last_pushed: date,
      },
    ],
    last_updated: date,
    last_updater: 1,
    last_updater_username: 'inferadmin-sim',
    name: tag,
    repository: 1,
    full_size: size,
    v2: true,
    tag_status: 'active',
    tag_last_pulled: null,
    tag_last_pushed: date,
    media_type: r.headers.get('content-type') ?? '',
    content_type: 'image',
    digest,
  }
}

/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body */
function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

const hub = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
  try {
    if (url.pathname === '/_sim/health') return json(res, 200, { ok: true, faults })
    if (url.pathname === '/_sim/faults' && req.method === 'POST') {
      let body = ''
      for await (const c of req) body += c
      Object.assign(faults, JSON.parse(body || '{}'))
      return json(res, 200, faults)
    }
    if (faults.down) return req.socket.destroy()
    const m = /^\/v2\/(?:repositories\/([^/]+)\/([^/]+)|namespaces\/([^/]+)\/repositories\/([^/]+))\/tags\/?$/.exec(url.pathname)
    if (!m || req.method !== 'GET') return json(res, 404, { message: 'httperror 404: object not found', errinfo: {} })
    const name = `${m[1] ?? m[3]}/${m[2] ?? m[4]}`
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
    const pageSize = Math.min(100, Math.max(1, Number(url.searchParams.get('page_size') ?? 10) || 10))
    let tags
    try {
      tags = /** @type {{tags: string[] | null}} */ (await (await reg(`/v2/${name}/tags/list`)).json()).tags ?? []
    } catch (e) {
      if (/** @type {{status?: number}} */ (e).status === 404)
        return json(res, 404, { message: 'httperror 404: object not found', errinfo: {} })
      throw e
    }
    const all = await Promise.all(tags.map((t) => tagInfo(name, t)))
    all.sort((a, b) => b.last_updated.localeCompare(a.last_updated) || a.name.localeCompare(b.name))
    const results = all.slice((page - 1) * pageSize, page * pageSize)
    const link = (/** @type {number} */ p) => {
      const u = new URL(url)
      u.searchParams.set('page', String(p))
      u.searchParams.set('page_size', String(pageSize))
      return u.toString()
    }
    return json(res, 200, {
      count: all.length,
      next: page * pageSize < all.length ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      results,
    })
  } catch (e) {
    return json(res, 500, { message: String(e instanceof Error ? e.message : e) })
  }
})

front.listen(frontPort, '127.0.0.1')
hub.listen(hubPort, '127.0.0.1')
const stop = () => {
  front.close()
  hub.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
