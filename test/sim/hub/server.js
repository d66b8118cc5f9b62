#!/usr/bin/env node
// @ts-check
/**
 * Hugging Face Hub stand-in (hf-hub-protocol.md §7): one process, two origins — the Hub API/resolve
 * origin and a separate "CDN" origin (another port) that LFS files redirect to. Records every
 * request (method, path, Range, whether Authorization was sent, status, body bytes) and takes
 * injectable faults. `node test/sim/hub/server.js [--port N] [--host H]` runs it standalone.
 */
import { createServer } from 'node:http'
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { catalogueRepos, listedOnlyMessage } from './catalogue.js'
import { Faults } from './faults.js'
import { addCommit as addRepoCommit, defaultRepos, KNOWN_TOKENS } from './repos.js'
import { checkAccess, modelInfo, pathsInfo, resolveRev, search, tree, whoami } from './routes.js'
import { checkSignature, resolveFile, serveContent } from './transfer.js'

/**
 * @typedef {object} LogEntry
 * @property {number} t
 * @property {'hub'|'cdn'} origin
 * @property {'api'|'resolve'|'cdn'|'admin'|'other'} route
 * @property {string} method
 * @property {string} path    pathname (URL-decoded)
 * @property {string} [file]  repo file the request is about (resolve and CDN)
 * @property {string} [range]
 * @property {boolean} auth   Authorization header present
 * @property {number} status
 * @property {number} bytes   body bytes written
 */

/** @param {import('node:http').IncomingMessage} req */
async function readBody(req) {
  const parts = []
  for await (const c of req) parts.push(c)
  return Buffer.concat(parts).toString('utf8')
}

/** @param {import('node:http').Server} s @param {number} port @param {string} host @returns {Promise<number>} */
async function listen(s, port, host) {
  await new Promise((resolve, reject) => {
    s.once('error', reject)
    s.listen(port, host, () => resolve(undefined))
  })
  const a = s.address()
  return typeof a === 'object' && a ? a.port : port
}

/**
 * @param {{ port?: number, host?: string, cdnPort?: number, treePageSize?: number, catalogue?: boolean }} [opts]
 *   catalogue: also serve the well-known repositories of catalogue.json (default true)
 */
export async function startHubSim(opts = {}) {
  const host = opts.host ?? '127.0.0.1'
  const repos = defaultRepos()
  if (opts.catalogue !== false) for (const r of catalogueRepos()) repos.set(r.id, r)
  const faults = new Faults()
  /** @type {LogEntry[]} */
  const log = []
  /** @type {Map<string, import('./content.js').FileContent>} */
  const blobs = new Map()
  const quota = { api: 500, resolvers: 3000 }
  const used = { api: 0, resolvers: 0 }
  let windowStart = Date.now()
  let hubUrl = ''
  let cdnUrl = ''
  /**
   * Hostile mode stands by its lies: pathnames a client builds from a lied commit (tree listing,
   * resolve prefix) → the real ones; lied file names → real ones, per repo.
   * @type {{ trees: Map<string, string>, resolves: Map<string, string>, paths: Map<string, string> }}
   */
  const lies = { trees: new Map(), resolves: new Map(), paths: new Map() }

  /** @param {'sha'|'path'} field @param {import('./repos.js').Repo} repo @param {string} real @param {unknown} lied */
  function told(field, repo, real, lied) {
    const v = String(lied)
    if (field === 'path') return void lies.paths.set(`${repo.id}\n${v}`, real)
    // the pathnames as a client's URL parser leaves them ("../" segments applied)
    const at = (/** @type {string} */ p) => new URL(p, hubUrl).pathname
    lies.trees.set(at(`/api/models/${repo.id}/tree/${v}`), `/api/models/${repo.id}/tree/${real}`)
    lies.resolves.set(at(`/${repo.id}/resolve/${v}/x`).slice(0, -1), `/${repo.id}/resolve/${real}/`)
  }

  /** The URL a client built from a lie, as the real one (unchanged when it is not). @param {URL} url */
  function standByLies(url) {
    if (!faults.active.some((f) => f.kind === 'hostile')) {
      for (const m of Object.values(lies)) m.clear()
      return url
    }
    const tree = lies.trees.get(url.pathname)
    if (tree) url.pathname = tree
    for (const [prefix, real] of lies.resolves) if (url.pathname.startsWith(prefix)) url.pathname = real + url.pathname.slice(prefix.length)
    return url
  }

  /** @param {'hub'|'cdn'} origin */
  const handler = (origin) =>
    /** @type {import('node:http').RequestListener} */ (
      async (req, res) => {
        const url = standByLies(new URL(req.url ?? '/', origin === 'hub' ? hubUrl : cdnUrl))
        const path = decodeURIComponent(url.pathname)
        const authHeader = req.headers.authorization
        /** @type {LogEntry} */
        const entry = {
          t: Date.now(),
          origin,
          route: 'other',
          method: req.method ?? 'GET',
          path,
          range: req.headers.range,
          auth: authHeader !== undefined,
          status: 0,
          bytes: 0,
        }
        res.setHeader('X-Request-Id', randomUUID())
        const bucket = path.includes('/resolve/') || origin === 'cdn' ? 'resolvers' : 'api'
        if (Date.now() - windowStart > 300_000) {
          windowStart = Date.now()
          used.api = used.resolvers = 0
        }
        used[bucket]++
        const reset = Math.max(1, 300 - Math.floor((Date.now() - windowStart) / 1000))
        res.setHeader('RateLimit', `"${bucket}";r=${Math.max(0, quota[bucket] - used[bucket])};t=${reset}`)
        res.setHeader('RateLimit-Policy', `"fixed window";"${bucket}";q=${quota[bucket]};w=300`)

        /** @type {import('./routes.js').Ctx} */
        const ctx = {
          res,
          url,
          token: undefined,
          hubUrl,
          json(status, body, headers = {}) {
            entry.status = status
            res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body))
          },
          error(status, code, message, headers = {}) {
            entry.status = status
            res
              .writeHead(status, {
                'Content-Type': 'application/json',
                'X-Error-Message': message,
                ...(code ? { 'X-Error-Code': code } : {}),
                ...headers,
              })
              .end(req.method === 'HEAD' ? undefined : JSON.stringify({ error: message }))
          },
          hostile: (field, text) => faults.hostileFor(entry.route === 'resolve' ? 'resolve' : 'api', text, field),
          told,
        }
        try {
          await dispatch(req, res, ctx, entry, origin, url, path, authHeader)
        } catch (err) {
          if (!res.headersSent) ctx.error(500, undefined, `stand-in error: ${/** @type {Error} */ (err).message}`)
          else res.destroy()
        } finally {
          if (entry.route !== 'admin') log.push(entry)
        }
      }
    )

  /**
   * @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res
   * @param {import('./routes.js').Ctx} ctx @param {LogEntry} entry @param {'hub'|'cdn'} origin
   * @param {URL} url @param {string} path @param {string | undefined} authHeader
   */
  async function dispatch(req, res, ctx, entry, origin, url, path, authHeader) {
    if (origin === 'cdn') {
      entry.route = 'cdn'
      entry.file = url.searchParams.get('file') ?? undefined
      const sha = /^\/cdn\/([0-9a-f]{64})$/.exec(path)?.[1] ?? ''
      const content = blobs.get(sha)
      const expired = faults.take('cdn', `${path} ${entry.file}`, ['expire']).length > 0
      if (!content || expired || !checkSignature(url, sha)) {
        entry.status = 403
        res
          .writeHead(403, { 'Content-Type': 'application/xml' })
          .end('<Error><Code>AccessDenied</Code><Message>Request has expired or signature is invalid</Message></Error>')
        return
      }
      if (!bodyStatusFault('cdn', `${path} ${entry.file}`, res, entry)) return
      const r = await serveContent(
        req,
        res,
        content,
        { ETag: `"${sha}"`, 'Content-Type': 'application/octet-stream' },
        faults.take('cdn', `${path} ${entry.file}`, ['stall', 'truncate', 'drop', 'corrupt', 'throttle', 'ignoreRange']),
      )
      entry.status = r.status
      entry.bytes = r.bytes
      return
    }
    if (path.startsWith('/__admin/')) return admin(req, ctx, entry, path)

    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname)
    entry.route = resolve ? 'resolve' : path.startsWith('/api/') ? 'api' : 'other'
    if (authHeader !== undefined) {
      const token = /^Bearer (.+)$/.exec(authHeader)?.[1]
      if (!token || !KNOWN_TOKENS.includes(token)) return ctx.error(401, undefined, 'Invalid credentials in Authorization header')
      ctx.token = token
    }
    const routeKind = resolve ? 'resolve' : 'api'
    if (!bodyStatusFault(routeKind, path, res, entry)) return

    if (resolve) {
      const id = decodeURIComponent(resolve[1] ?? '')
      const file = decodeURIComponent(resolve[3] ?? '')
      entry.file = file
      const repo = repos.get(id)
      if (!checkAccess(ctx, repo, id, { gate: true })) return
      const commit = resolveRev(ctx, repo, decodeURIComponent(resolve[2] ?? ''))
      if (!commit) return
      const content = commit.files.get(file) ?? commit.files.get(lies.paths.get(`${id}\n${file}`) ?? '')
      if (!content) return ctx.error(404, 'EntryNotFound', `${file} does not exist on "${commit.sha}"`, { 'X-Repo-Commit': commit.sha })
      // catalogue files listed without bytes: HEAD answers (sizes, commit), a download is refused in words
      if (content.declaredBy && req.method !== 'HEAD')
        return ctx.error(403, undefined, listedOnlyMessage(id), { 'X-Repo-Commit': commit.sha })
      const shaLie = ctx.hostile('sha', path)
      const bodyFaults = faults.take('resolve', `${path} ${file}`, ['stall', 'truncate', 'drop', 'corrupt', 'throttle', 'ignoreRange'])
      const r = await resolveFile({ req, res, cdnUrl, blobs }, shaLie ? String(shaLie.value) : commit.sha, file, content, bodyFaults)
      entry.status = r.status
      entry.bytes = r.bytes
      return
    }
    if (path === '/api/whoami-v2') return whoami(ctx)
    if (path === '/api/models' && req.method === 'GET') return search(ctx, repos)
    const m = /^\/api\/models\/([^/]+\/[^/]+)(?:\/(revision|tree|paths-info|auth-check)(?:\/([^/]+)(?:\/(.*))?)?)?$/.exec(url.pathname)
    if (!m) return ctx.error(404, undefined, `Sorry, we can't find the page you are looking for: ${path}`)
    const id = decodeURIComponent(m[1] ?? '')
    const repo = repos.get(id)
    const kind = m[2]
    if (!checkAccess(ctx, repo, id, { gate: kind === 'tree' || kind === 'paths-info' || kind === 'auth-check' })) return
    if (kind === 'auth-check') return ctx.json(200, {})
    const commit = resolveRev(ctx, repo, m[3] ? decodeURIComponent(m[3]) : 'main')
    if (!commit) return
    if (!kind || kind === 'revision') return modelInfo(ctx, repo, commit)
    if (kind === 'tree') return tree(ctx, repo, commit, m[4] ? decodeURIComponent(m[4]) : '', opts.treePageSize)
    if (kind === 'paths-info' && req.method === 'POST')
      return pathsInfo(ctx, repo, commit, await readBody(req), req.headers['content-type'])
    return ctx.error(405, undefined, 'Method not allowed')
  }

  /**
   * 429 / 5xx faults; returns false when the response was sent.
   * @param {'api'|'resolve'|'cdn'} route @param {string} text @param {import('node:http').ServerResponse} res @param {LogEntry} entry
   */
  function bodyStatusFault(route, text, res, entry) {
    const [f] = faults.take(route, text, ['rateLimit', 'status'])
    if (!f) return true
    if (f.kind === 'rateLimit') {
      const bucket = route === 'api' ? 'api' : 'resolvers'
      entry.status = 429
      res
        .writeHead(429, {
          'Content-Type': 'application/json',
          RateLimit: `"${bucket}";r=0;t=${f.t ?? 1}`,
          'RateLimit-Policy': `"fixed window";"${bucket}";q=${quota[bucket]};w=300`,
          ...(f.retryAfter !== undefined ? { 'Retry-After': String(f.retryAfter) } : {}),
        })
        .end(JSON.stringify({ error: 'You have exceeded our rate limit' }))
    } else {
      entry.status = f.code ?? 503
      res.writeHead(entry.status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'Service unavailable' }))
    }
    return false
  }

  /** Test control over HTTP (for `sim up` users and child processes). */
  async function admin(
    /** @type {import('node:http').IncomingMessage} */ req,
    /** @type {import('./routes.js').Ctx} */ ctx,
    /** @type {LogEntry} */ entry,
    /** @type {string} */ path,
  ) {
    entry.route = 'admin'
    const body = req.method === 'POST' ? JSON.parse((await readBody(req)) || '{}') : {}
    if (path === '/__admin/log' && req.method === 'GET') return ctx.json(200, log)
    if (path === '/__admin/log' && req.method === 'DELETE') return ctx.json(200, { cleared: log.splice(0).length })
    if (path === '/__admin/faults' && req.method === 'POST') return ctx.json(200, faults.add(body))
    if (path === '/__admin/faults' && req.method === 'DELETE') return ctx.json(200, { cleared: faults.clear() ?? true })
    if (path === '/__admin/commit' && req.method === 'POST')
      return ctx.json(200, { sha: api.addCommit(body.repo, body.files, { title: body.title }) })
    return ctx.error(404, undefined, `unknown admin route ${req.method} ${path}`)
  }

  const hub = createServer(handler('hub'))
  const cdn = createServer(handler('cdn'))
  const hubPort = await listen(hub, opts.port ?? 0, host)
  const cdnPort = await listen(cdn, opts.cdnPort ?? 0, host)
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host
  hubUrl = `http://${urlHost}:${hubPort}`
  cdnUrl = `http://${urlHost}:${cdnPort}`

  const api = {
    /** Hub origin: what HF_ENDPOINT points at. */
    url: hubUrl,
    /** CDN origin (another port, so another origin): LFS files redirect here. */
    cdnUrl,
    repos,
    faults,
    /** Every request, oldest first (admin requests excluded). */
    log,
    /** Whether any CDN request carried Authorization (it must never). */
    cdnSawAuthorization: () => log.some((e) => e.origin === 'cdn' && e.auth),
    clearLog: () => void log.splice(0),
    /**
     * New commit on a branch (default main) of `repo`; `files` maps path → content (null deletes).
     * @param {string} repo @param {Record<string, string | Buffer | import('./content.js').FileContent | null>} files
     * @param {{ title?: string, branch?: string }} [o]
     */
    addCommit(repo, files, o) {
      const r = repos.get(repo)
      if (!r) throw new Error(`unknown repo ${repo}`)
      return addRepoCommit(r, files, o)
    },
    async close() {
      for (const s of [hub, cdn]) s.closeAllConnections()
      await Promise.all([hub, cdn].map((s) => new Promise((r) => s.close(() => r(undefined)))))
    },
  }
  return api
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'cdn-port': { type: 'string', default: '0' },
    },
  })
  const sim = await startHubSim({ port: Number(values.port), host: values.host, cdnPort: Number(values['cdn-port']) })
  process.stdout.write(`${JSON.stringify({ url: sim.url, cdnUrl: sim.cdnUrl, pid: process.pid })}\n`)
  // Hash the downloadable catalogue weights now (≈ 1.9 GB, a few seconds in the background), so the first
  // browse, which lists their trees, does not wait for it.
  for (const r of sim.repos.values())
    for (const c of r.commits.get(r.refs.main ?? '')?.files.values() ?? [])
      if (c.generated && !c.declaredBy && c.size > 1e8) void c.sha256()
  const stop = () => void sim.close().then(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
