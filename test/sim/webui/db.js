// @ts-check
/**
 * The "database" of the simulated Open WebUI: one JSON file in the data volume (/app/backend/data/webui.db;
 * the real one is SQLite there). On the FIRST start the connection settings come from the environment and are
 * written here; afterwards the stored values win and env changes are ignored — Open WebUI's PersistentConfig
 * (vllm-facts §6) — unless ENABLE_PERSISTENT_CONFIG=false.
 */
import { createHash, randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * @typedef {object} OpenAIConfig
 * @property {boolean} ENABLE_OPENAI_API
 * @property {string[]} OPENAI_API_BASE_URLS
 * @property {string[]} OPENAI_API_KEYS
 * @property {Record<string, unknown>} OPENAI_API_CONFIGS
 * @property {boolean} ENABLE_API_DEBUG_LOGGING
 */

/**
 * @typedef {object} User
 * @property {string} id
 * @property {string} name
 * @property {string} email
 * @property {'admin' | 'user' | 'pending'} role
 * @property {string} passwordHash   salt:hash (pbkdf2-sha256)
 * @property {number} created_at
 */

/**
 * @typedef {object} Db
 * @property {string} instanceId        random, fixed at the first start: proves the data survived
 * @property {string} createdAt
 * @property {number} starts
 * @property {string} secretKeyFingerprint   sha256 prefix of WEBUI_SECRET_KEY at the first start
 * @property {{openai: OpenAIConfig, ollama: {ENABLE_OLLAMA_API: boolean, OLLAMA_BASE_URLS: string[]}, ui: {ENABLE_SIGNUP: boolean, DEFAULT_USER_ROLE: string}}} config
 * @property {User[]} users
 */

export const DATA_DIR = process.env.DATA_DIR || '/app/backend/data'
const FILE = join(DATA_DIR, 'webui.db')

/** @param {string | undefined} v @param {boolean} dflt */
const bool = (v, dflt) => (v === undefined || v === '' ? dflt : v.toLowerCase() === 'true' || v === '1')
/** @param {string | undefined} v */
const list = (v) => (v === undefined || v === '' ? null : v.split(';').map((s) => s.trim()))

/** @param {string} key */
export const fingerprint = (key) => createHash('sha256').update(key).digest('hex').slice(0, 16)

/** The connection settings the environment asks for (config.py semantics). @param {NodeJS.ProcessEnv} env */
export function configFromEnv(env) {
  const urls = list(env.OPENAI_API_BASE_URLS) ?? [env.OPENAI_API_BASE_URL || 'https://api.openai.com/v1']
  const keys = list(env.OPENAI_API_KEYS) ?? [env.OPENAI_API_KEY || '']
  while (keys.length < urls.length) keys.push('')
  return {
    openai: {
      ENABLE_OPENAI_API: bool(env.ENABLE_OPENAI_API, true),
      OPENAI_API_BASE_URLS: urls,
      OPENAI_API_KEYS: keys.slice(0, urls.length),
      OPENAI_API_CONFIGS: {},
      ENABLE_API_DEBUG_LOGGING: false,
    },
    ollama: {
      ENABLE_OLLAMA_API: bool(env.ENABLE_OLLAMA_API, true),
      OLLAMA_BASE_URLS: list(env.OLLAMA_BASE_URLS) ?? [env.OLLAMA_BASE_URL || 'http://localhost:11434'],
    },
    ui: { ENABLE_SIGNUP: bool(env.ENABLE_SIGNUP, true), DEFAULT_USER_ROLE: env.DEFAULT_USER_ROLE || 'pending' },
  }
}

/** Open (or create on the first start) the DB. @param {NodeJS.ProcessEnv} env @param {string} secretKey */
export function openDb(env, secretKey) {
  mkdirSync(DATA_DIR, { recursive: true })
  /** @type {Db} */
  let db
  if (existsSync(FILE)) {
    db = JSON.parse(readFileSync(FILE, 'utf8'))
    // PersistentConfig: stored values win; with ENABLE_PERSISTENT_CONFIG=false the environment does.
    if (!bool(env.ENABLE_PERSISTENT_CONFIG, true)) db.config = configFromEnv(env)
  } else {
    db = {
      instanceId: randomUUID(),
      createdAt: new Date().toISOString(),
      starts: 0,
      secretKeyFingerprint: fingerprint(secretKey),
      config: configFromEnv(env),
      users: [],
    }
  }
  db.starts++
  save(db)
  return db
}

/** Atomic write. @param {Db} db */
export function save(db) {
  writeFileSync(`${FILE}.tmp`, JSON.stringify(db, null, 2))
  renameSync(`${FILE}.tmp`, FILE)
}

/** Is the DB file readable (GET /health/db)? */
export function dbReadable() {
  try {
    JSON.parse(readFileSync(FILE, 'utf8'))
    return true
  } catch {
    return false
  }
}
