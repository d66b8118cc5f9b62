// @ts-check
/**
 * The simulated Open WebUI (vllm-facts §6): port 8080, `/health` and `/health/db`, a page, accounts
 * (`/api/v1/auths/signup|signin`), the admin API for OpenAI connections (`GET /openai/config`,
 * `POST /openai/config/update`, shapes of backend/open_webui/routers/openai.py), `/api/models` from the
 * connections, and for tests `GET /inferadmin-sim/state`: the stored connections and whether each answers
 * `GET <url>/models` (through host.docker.internal when the container has the host-gateway mapping).
 */
import { createServer } from 'node:http'
import { HttpError, addUser, currentUser, secretKey, signin, signup } from './auth.js'
import { configFromEnv, dbReadable, fingerprint, openDb, save } from './db.js'

const VERSION = process.env.INFERADMIN_SIM_WEBUI_VERSION || '0.6.34'
const log = (/** @type {string} */ s) => process.stdout.write(`${s}\n`)

const key = secretKey()
const db = openDb(process.env, key)
const envAtStart = configFromEnv(process.env)
const fault = { configUpdate: 0 }

/** GET <url>/models with the connection's key, as Open WebUI's model list does. @param {string} url @param {string} apiKey */
async function probe(url, apiKey) {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/models`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(3000),
    })
    if (!res.ok) return { reachable: false, models: [], error: `HTTP ${res.status}` }
    const body = /** @type {{data?: {id: string}[]}} */ (await res.json())
    return { reachable: true, models: (body.data ?? []).map((m) => m.id), error: null }
  } catch (err) {
    return {
      reachable: false,
      models: [],
      error: /** @type {Error} */ (err).cause ? String(/** @type {any} */ (err).cause?.code ?? err) : /** @type {Error} */ (err).message,
    }
  }
}

async function connections() {
  const c = db.config.openai
  return Promise.all(
    c.OPENAI_API_BASE_URLS.map(async (url, i) => ({
      url,
      keySet: !!c.OPENAI_API_KEYS[i],
      enabled: c.ENABLE_OPENAI_API,
      ...(await probe(url, c.OPENAI_API_KEYS[i] ?? '')),
    })),
  )
}

const openaiConfig = () => structuredClone(db.config.openai)

/** @param {any} form */
function updateOpenAI(form) {
  if (
    !Array.isArray(form?.OPENAI_API_BASE_URLS) ||
    !Array.isArray(form?.OPENAI_API_KEYS) ||
    typeof form?.OPENAI_API_CONFIGS !== 'object' ||
    form.OPENAI_API_CONFIGS === null
  )
    throw new HttpError(422, 'OPENAI_API_BASE_URLS and OPENAI_API_KEYS (lists) and OPENAI_API_CONFIGS (dict) are required')
  const urls = form.OPENAI_API_BASE_URLS.map(String)
  let keys = form.OPENAI_API_KEYS.map(String)
  if (keys.length > urls.length) keys = keys.slice(0, urls.length)
  while (keys.length < urls.length) keys.push('')
  const configs = Object.fromEntries(Object.entries(form.OPENAI_API_CONFIGS).filter(([k]) => Number(k) < urls.length && /^\d+$/.test(k)))
  db.config.openai = {
    ENABLE_OPENAI_API: form.ENABLE_OPENAI_API ?? null,
    OPENAI_API_BASE_URLS: urls,
    OPENAI_API_KEYS: keys,
    OPENAI_API_CONFIGS: configs,
    ENABLE_API_DEBUG_LOGGING: !!form.ENABLE_API_DEBUG_LOGGING,
  }
  save(db)
  return openaiConfig()
}

/** @param {string} s */
const esc = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

function page() {
  const rows = db.config.openai.OPENAI_API_BASE_URLS.map((u) => `<li>${esc(u)}</li>`).join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Open WebUI</title></head><body><h1>Open WebUI</h1><p>Simulated Open WebUI ${esc(VERSION)} (InferAdmin test stand-in).</p><h2>OpenAI connections</h2><ul>${rows}</ul></body></html>`
}

/** @param {import('node:http').IncomingMessage} req */
async function readJson(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
  } catch {
    throw new HttpError(422, 'JSON decode error')
  }
}

/** @param {import('node:http').IncomingMessage} req */
async function route(req) {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const p = url.pathname.replace(/\/+$/, '') || '/'
  const m = req.method ?? 'GET'
  const auth = (/** @type {boolean} */ admin) => currentUser(db, key, req.headers.authorization, admin)
  if (m === 'GET' && p === '/health') return { status: true }
  if (m === 'GET' && p === '/health/db') {
    if (!dbReadable()) throw new HttpError(500, 'database not reachable')
    return { status: true }
  }
  if (m === 'GET' && p === '/') return { html: page() }
  if (m === 'GET' && p === '/api/version') return { version: VERSION }
  if (m === 'GET' && p === '/api/config')
    return {
      status: true,
      name: 'Open WebUI',
      version: VERSION,
      default_locale: '',
      features: {
        auth: process.env.WEBUI_AUTH?.toLowerCase() !== 'false',
        enable_signup: db.config.ui.ENABLE_SIGNUP,
        enable_login_form: true,
      },
    }
  if (m === 'POST' && p === '/api/v1/auths/signup') return signup(db, key, await readJson(req))
  if (m === 'POST' && p === '/api/v1/auths/signin') return signin(db, key, await readJson(req))
  if (m === 'POST' && p === '/api/v1/auths/add') return (auth(true), addUser(db, key, await readJson(req)))
  if (m === 'POST' && p === '/inferadmin-sim/fault') {
    // Tests: {"configUpdate": 500} makes POST /openai/config/update fail with that status (0 clears).
    fault.configUpdate = Number((await readJson(req)).configUpdate ?? 0)
    return { ...fault }
  }
  if (m === 'GET' && p === '/api/v1/auths') {
    const u = auth(false)
    return { id: u.id, email: u.email, name: u.name, role: u.role }
  }
  if (m === 'GET' && p === '/openai/config') return (auth(true), openaiConfig())
  if (m === 'POST' && p === '/openai/config/update') {
    auth(true)
    if (fault.configUpdate) throw new HttpError(fault.configUpdate, 'simulated failure (POST /inferadmin-sim/fault)')
    return updateOpenAI(await readJson(req))
  }
  if (m === 'GET' && p === '/api/models') {
    auth(false)
    const data = db.config.openai.ENABLE_OPENAI_API
      ? (await connections()).flatMap((c, urlIdx) => c.models.map((id) => ({ id, name: id, object: 'model', owned_by: 'openai', urlIdx })))
      : []
    return { data }
  }
  if (m === 'GET' && p === '/inferadmin-sim/state') {
    return {
      version: VERSION,
      instanceId: db.instanceId,
      createdAt: db.createdAt,
      starts: db.starts,
      secretKey: { firstStart: db.secretKeyFingerprint, current: fingerprint(key) },
      envAtStart,
      config: { openai: openaiConfig(), ollama: db.config.ollama, ui: db.config.ui },
      users: db.users.map((u) => ({ email: u.email, role: u.role })),
      connections: await connections(),
    }
  }
  throw new HttpError(404, 'Not Found')
}

const server = createServer((req, res) => {
  route(req).then(
    (body) => {
      if (body && typeof body === 'object' && 'html' in body && typeof body.html === 'string') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body.html)
      } else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      log(`INFO:     ${req.socket.remoteAddress}:${req.socket.remotePort} - "${req.method} ${req.url} HTTP/1.1" 200`)
    },
    (err) => {
      const status = err instanceof HttpError ? err.status : 500
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ detail: err instanceof HttpError ? err.message : String(err) }))
      log(`INFO:     ${req.socket.remoteAddress}:${req.socket.remotePort} - "${req.method} ${req.url} HTTP/1.1" ${status}`)
    },
  )
})

const port = Number(process.env.PORT || 8080)
const host = process.env.HOST || '0.0.0.0'
log(`Loading WEBUI_SECRET_KEY from ${process.env.WEBUI_SECRET_KEY ? 'environment' : 'file /app/backend/.webui_secret_key'}`)
log(
  `INFO  [open_webui.env] ${db.starts === 1 ? 'Fresh install: configuration written from the environment' : 'Loaded configuration from the database (PersistentConfig: environment values ignored)'}`,
)
// Migrations and app start-up come before uvicorn opens the port.
setTimeout(
  () => {
    server.listen(port, host, () => {
      log(`INFO:     Started server process [${process.pid}]`)
      log('INFO:     Waiting for application startup.')
      log('INFO:     Application startup complete.')
      log(`INFO:     Uvicorn running on http://${host}:${port} (Press CTRL+C to quit)`)
    })
  },
  Number(process.env.INFERADMIN_SIM_WEBUI_STARTUP_MS ?? 500),
)

for (const sig of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.on(sig, () => {
    log('INFO:     Shutting down')
    server.close()
    process.stdout.write('INFO:     Finished server process\n', () => process.exit(0))
  })
}
