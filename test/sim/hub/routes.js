// @ts-check
/**
 * Hub API handlers of the stand-in (hf-hub-protocol.md §7.3–7.4, routes R1–R3, R6, R7): model info,
 * tree, paths-info, whoami, search. Resolve and CDN (bodies) live in ./transfer.js.
 */
import { commitSafetensors, fileMeta } from './repos.js'

/** @typedef {import('./repos.js').Repo} Repo */
/** @typedef {import('./repos.js').Commit} Commit */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

/**
 * @typedef {object} Ctx
 * @property {ServerResponse} res
 * @property {URL} url
 * @property {string | undefined} token
 * @property {string} hubUrl
 * @property {(status: number, body: unknown, headers?: Record<string, string>) => void} json
 * @property {(status: number, code: string | undefined, message: string, headers?: Record<string, string>) => void} error
 * @property {(field: import('./faults.js').HostileField, text: string) => { value?: unknown } | undefined} hostile
 *   the hostile fault replacing `field` for this request (text: "<pathname> <file>"), if any
 * @property {(field: 'sha'|'path', repo: Repo, real: string, lied: unknown) => void} told
 *   a commit or file name lie was answered: the URLs built from it are served as the real ones
 */

/** @param {Ctx} ctx @param {Repo | undefined} repo @param {string} id @param {{ gate: boolean }} opts @returns {repo is Repo} */
export function checkAccess(ctx, repo, id, opts) {
  const allowed = repo !== undefined && ctx.token !== undefined && repo.tokens.includes(ctx.token)
  if (!repo || (repo.private && !allowed)) {
    if (!ctx.token) ctx.error(401, 'RepoNotFound', 'Invalid username or password.')
    else ctx.error(404, 'RepoNotFound', `Repository not found: ${id}`)
    return false
  }
  if (opts.gate && repo.gated && !allowed) {
    if (!ctx.token)
      ctx.error(
        401,
        'GatedRepo',
        `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      )
    else
      ctx.error(
        403,
        'GatedRepo',
        `Access to model ${id} is restricted and you are not in the authorized list. Visit ${ctx.hubUrl}/${id} to ask for access.`,
      )
    return false
  }
  return true
}

/** @param {Ctx} ctx @param {Repo} repo @param {string} rev @returns {Commit | undefined} */
export function resolveRev(ctx, repo, rev, extraHeaders = {}) {
  const name = rev === 'HEAD' ? 'main' : rev
  const sha = /^[0-9a-f]{40}$/.test(name) && repo.commits.has(name) ? name : repo.refs[name]
  const commit = sha ? repo.commits.get(sha) : undefined
  if (!commit) ctx.error(404, 'RevisionNotFound', `Invalid rev id: ${rev}`, extraHeaders)
  return commit
}

/**
 * @param {Ctx} ctx @param {Repo} repo @param {string} path @param {import('./content.js').FileContent} c
 * @param {Commit} commit @param {boolean} expand
 */
async function entry(ctx, repo, path, c, commit, expand) {
  const m = await fileMeta(path, c)
  /** @type {Record<string, unknown>} */
  const e = { type: 'file', oid: m.oid, size: m.size, path }
  if (m.lfs) e.lfs = { ...m.lfs }
  if (expand) {
    e.lastCommit = { id: commit.sha, title: commit.title, date: commit.date }
    e.securityFileStatus = { status: 'safe' }
  }
  // hostile mode: lie about this entry's values
  const text = `${ctx.url.pathname} ${path}`
  const lie = (/** @type {import('./faults.js').HostileField} */ field) => ctx.hostile(field, text)
  const size = lie('size')
  if (size) {
    e.size = size.value
    if (e.lfs) /** @type {Record<string, unknown>} */ (e.lfs).size = size.value
  }
  const oid = lie('oid')
  if (oid) e.oid = oid.value
  const lfsOid = e.lfs ? lie('lfsOid') : undefined
  if (lfsOid) /** @type {Record<string, unknown>} */ (e.lfs).oid = lfsOid.value
  const name = lie('path')
  if (name) {
    e.path = name.value
    ctx.told('path', repo, path, name.value)
  }
  return e
}

/** R1 @param {Ctx} ctx @param {Repo} repo @param {Commit} commit */
export async function modelInfo(ctx, repo, commit) {
  const blobs = ctx.url.searchParams.get('blobs') === 'true'
  const siblings = []
  for (const [path, c] of commit.files) {
    if (!blobs) {
      siblings.push({ rfilename: path })
      continue
    }
    const m = await fileMeta(path, c)
    siblings.push({
      rfilename: path,
      size: m.size,
      blobId: m.oid,
      ...(m.lfs ? { lfs: { sha256: m.lfs.oid, size: m.lfs.size, pointerSize: m.lfs.pointerSize } } : {}),
    })
  }
  const [author] = repo.id.split('/')
  const lie = ctx.hostile('sha', ctx.url.pathname)
  if (lie) ctx.told('sha', repo, commit.sha, lie.value)
  /** @type {Record<string, unknown>} */
  const full = {
    _id: repo._id,
    id: repo.id,
    modelId: repo.id,
    author,
    sha: lie ? lie.value : commit.sha,
    lastModified: commit.date,
    createdAt: repo.createdAt,
    private: repo.private,
    gated: repo.gated,
    disabled: false,
    downloads: repo.downloads,
    likes: repo.likes,
    trendingScore: repo.trendingScore,
    tags: repo.tags,
    pipeline_tag: repo.pipeline_tag,
    library_name: repo.library_name,
    siblings,
    safetensors: await commitSafetensors(commit, repo),
    usedStorage: [...repo.commits.values()].reduce((a, cm) => a + [...cm.files.values()].reduce((s, f) => s + f.size, 0), 0),
  }
  const expand = [...ctx.url.searchParams.getAll('expand'), ...ctx.url.searchParams.getAll('expand[]')]
  if (expand.length === 0) return ctx.json(200, full)
  /** @type {Record<string, unknown>} */
  const out = { _id: repo._id, id: repo.id }
  for (const k of expand) if (k in full) out[k] = full[k]
  ctx.json(200, out)
}

/** R2 @param {Ctx} ctx @param {Repo} repo @param {Commit} commit @param {string} sub */
export async function tree(ctx, repo, commit, sub, treePageSize = 1000) {
  const p = ctx.url.searchParams
  const recursive = ['true', 'True', '1'].includes(p.get('recursive') ?? '')
  const expand = ['true', 'True', '1'].includes(p.get('expand') ?? '')
  const prefix = sub ? `${sub.replace(/\/$/, '')}/` : ''
  /** @type {Map<string, Record<string, unknown>>} */
  const dirs = new Map()
  const files = []
  for (const [path, c] of [...commit.files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!path.startsWith(prefix)) continue
    const rest = path.slice(prefix.length)
    const slash = rest.indexOf('/')
    if (slash >= 0) {
      const dir = prefix + rest.slice(0, slash)
      if (!dirs.has(dir)) dirs.set(dir, { type: 'directory', oid: '0'.repeat(40), size: 0, path: dir })
      if (!recursive) continue
    }
    files.push(await entry(ctx, repo, path, c, commit, expand))
  }
  if (sub && files.length === 0 && dirs.size === 0) return ctx.error(404, 'EntryNotFound', `${sub} does not exist on ${commit.sha}`)
  const all = [...dirs.values(), ...files]
  const size = expand ? Math.min(50, treePageSize) : treePageSize
  const cursor = Number(p.get('cursor') ?? '0') || 0
  const page = all.slice(cursor, cursor + size)
  /** @type {Record<string, string>} */
  const headers = {}
  if (cursor + size < all.length) {
    const next = new URL(ctx.url.pathname, ctx.hubUrl)
    next.search = ctx.url.search
    next.searchParams.set('cursor', String(cursor + size))
    headers.Link = `<${next.href}>; rel="next"`
  }
  ctx.json(200, page, headers)
}

/** R3 @param {Ctx} ctx @param {Repo} repo @param {Commit} commit @param {string} body @param {string | undefined} contentType */
export async function pathsInfo(ctx, repo, commit, body, contentType) {
  /** @type {string[]} */
  let paths = []
  let expand = false
  if (contentType?.includes('json')) {
    const j = /** @type {{paths?: string[], expand?: boolean}} */ (JSON.parse(body || '{}'))
    paths = j.paths ?? []
    expand = j.expand === true
  } else {
    const f = new URLSearchParams(body)
    paths = f.getAll('paths')
    expand = ['true', 'True', '1'].includes(f.get('expand') ?? '')
  }
  const out = []
  for (const p of paths) {
    const c = commit.files.get(p)
    if (c) out.push(await entry(ctx, repo, p, c, commit, expand))
  }
  ctx.json(200, out)
}

/** R6 @param {Ctx} ctx */
export function whoami(ctx) {
  if (!ctx.token) return ctx.error(401, undefined, 'Invalid credentials in Authorization header')
  const name = ctx.token === 'hf_simtoken' ? 'sim-user' : 'sim-other'
  ctx.json(200, {
    type: 'user',
    id: `id-${name}`,
    name,
    fullname: name,
    email: `${name}@example.invalid`,
    emailVerified: true,
    isPro: false,
    orgs: [],
    auth: { type: 'access_token', accessToken: { displayName: 'sim', role: 'read', createdAt: '2026-01-01T00:00:00.000Z' } },
  })
}

const SORT_KEYS = new Set(['downloads', 'likes', 'trendingScore', 'lastModified', 'createdAt', 'id'])

/** R7 @param {Ctx} ctx @param {Map<string, Repo>} repos */
export async function search(ctx, repos) {
  const p = ctx.url.searchParams
  const q = (p.get('search') ?? '').toLowerCase()
  const author = p.get('author')
  const sort = p.get('sort') ?? 'trendingScore'
  if (!SORT_KEYS.has(sort)) return ctx.error(400, undefined, `Invalid sort parameter: ${sort}`)
  const limit = Math.min(Number(p.get('limit') ?? '1000') || 1000, 1000)
  const expand = new Set([...p.getAll('expand'), ...p.getAll('expand[]')])
  const filters = p.getAll('filter')
  let list = [...repos.values()].filter(
    (r) =>
      (!r.private || (ctx.token !== undefined && r.tokens.includes(ctx.token))) &&
      (!q || r.id.toLowerCase().includes(q)) &&
      (!author || r.id.startsWith(`${author}/`)) &&
      filters.every((f) => r.tags.includes(f) || r.library_name === f),
  )
  /** @param {Repo} r */
  const head = (r) => /** @type {Commit} */ (r.commits.get(r.refs.main ?? ''))
  /** @param {Repo} r @returns {string | number} */
  const key = (r) =>
    sort === 'id'
      ? r.id
      : sort === 'lastModified'
        ? head(r).date
        : sort === 'createdAt'
          ? r.createdAt
          : /** @type {number} */ (r[/** @type {'downloads'} */ (sort)])
  list.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0))
  const cursor = Number(p.get('cursor') ?? '0') || 0
  const page = list.slice(cursor, cursor + limit)
  const out = []
  for (const r of page) {
    const c = head(r)
    /** @type {Record<string, unknown>} */
    const item = {
      _id: r._id,
      id: r.id,
      modelId: r.id,
      likes: r.likes,
      downloads: r.downloads,
      trendingScore: r.trendingScore,
      private: r.private,
      gated: r.gated,
      tags: r.tags,
      pipeline_tag: r.pipeline_tag,
      library_name: r.library_name,
      createdAt: r.createdAt,
      lastModified: c.date,
    }
    if (expand.has('sha')) item.sha = c.sha
    if (expand.has('safetensors')) item.safetensors = await commitSafetensors(c, r)
    if (expand.has('siblings')) item.siblings = [...c.files.keys()].map((rfilename) => ({ rfilename }))
    out.push(item)
  }
  /** @type {Record<string, string>} */
  const headers = {}
  if (cursor + limit < list.length) {
    const next = new URL(ctx.url.pathname, ctx.hubUrl)
    next.search = ctx.url.search
    next.searchParams.set('cursor', String(cursor + limit))
    headers.Link = `<${next.href}>; rel="next"`
  }
  ctx.json(200, out, headers)
}
