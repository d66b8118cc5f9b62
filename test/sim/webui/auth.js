// @ts-check
/**
 * Accounts and tokens of the simulated Open WebUI (backend/open_webui/routers/auths.py, utils/auth.py):
 * HS256 JWTs signed with WEBUI_SECRET_KEY (a changed key invalidates every session, as in the real one),
 * the first account to sign up becomes admin and sign-up is then switched off, later accounts get
 * DEFAULT_USER_ROLE (pending). Messages are the real ERROR_MESSAGES wording.
 */
import { createHmac, pbkdf2Sync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { save } from './db.js'

/** @typedef {import('./db.js').Db} Db @typedef {import('./db.js').User} User */

export const MSG = {
  NOT_AUTHENTICATED: 'Not authenticated',
  INVALID_TOKEN: 'Your session has expired or the token is invalid. Please sign in again.',
  ACCESS_PROHIBITED: 'You do not have permission to access this resource. Please contact your administrator for assistance.',
  INVALID_CRED: 'The email or password provided is incorrect. Please check for typos and try logging in again.',
  EMAIL_TAKEN: 'Uh-oh! This email is already registered. Sign in with your existing account or choose another email to start anew.',
  PASSWORD_TOO_LONG: 'Uh-oh! The password you entered is too long. Please make sure your password is less than 72 bytes long.',
}

/** bcrypt's limit, checked before hashing. @param {unknown} password */
function checkLength(password) {
  if (Buffer.byteLength(String(password ?? ''), 'utf8') > 72) throw new HttpError(400, MSG.PASSWORD_TOO_LONG)
}

export class HttpError extends Error {
  /** @param {number} status @param {string} detail */
  constructor(status, detail) {
    super(detail)
    this.status = status
  }
}

/**
 * WEBUI_SECRET_KEY, or — like the image's start.sh — a key generated once into the container's own
 * filesystem (/app/backend/.webui_secret_key: kept across stop/start, lost when the container is recreated).
 */
export function secretKey() {
  if (process.env.WEBUI_SECRET_KEY) return process.env.WEBUI_SECRET_KEY
  const file = '/app/backend/.webui_secret_key'
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const key = randomBytes(12).toString('base64url')
  try {
    writeFileSync(file, key)
  } catch {
    /* read-only: per-process key */
  }
  return key
}

const b64 = (/** @type {string | Buffer} */ s) => Buffer.from(s).toString('base64url')

/** @param {Record<string, unknown>} payload @param {string} key */
function sign(payload, key) {
  const body = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify(payload))}`
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`
}

/** @param {string} token @param {string} key @returns {{id: string, exp?: number} | null} */
function verify(token, key) {
  const [h, p, s] = token.split('.')
  if (!h || !p || !s) return null
  const want = createHmac('sha256', key).update(`${h}.${p}`).digest()
  const got = Buffer.from(s, 'base64url')
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null
  try {
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))
    if (payload.exp && payload.exp * 1000 < Date.now()) return null
    return payload
  } catch {
    return null
  }
}

/** @param {string} password */
function hash(password) {
  const salt = randomBytes(8).toString('hex')
  return `${salt}:${pbkdf2Sync(password, salt, 1000, 32, 'sha256').toString('hex')}`
}

/** @param {string} password @param {string} stored */
function check(password, stored) {
  const [salt, h] = stored.split(':')
  return !!salt && !!h && pbkdf2Sync(password, salt, 1000, 32, 'sha256').toString('hex') === h
}

/** The SigninResponse shape. @param {User} u @param {string} key */
function session(u, key) {
  const expires_at = Math.floor(Date.now() / 1000) + 28 * 86400
  return {
    token: sign({ id: u.id, exp: expires_at }, key),
    token_type: 'Bearer',
    expires_at,
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    profile_image_url: '/user.png',
    permissions: {},
  }
}

/** POST /api/v1/auths/signup @param {Db} db @param {string} key @param {any} form */
export function signup(db, key, form) {
  if (process.env.WEBUI_AUTH?.toLowerCase() === 'false') throw new HttpError(403, MSG.ACCESS_PROHIBITED)
  if (db.users.length > 0 && !db.config.ui.ENABLE_SIGNUP) throw new HttpError(403, MSG.ACCESS_PROHIBITED)
  const email = String(form?.email ?? '').toLowerCase()
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new HttpError(400, 'Invalid email format')
  if (!form?.password || !form?.name) throw new HttpError(422, 'name, email and password are required')
  if (db.users.some((u) => u.email === email)) throw new HttpError(400, MSG.EMAIL_TAKEN)
  checkLength(form.password)
  const first = db.users.length === 0
  /** @type {User} */
  const user = {
    id: randomUUID(),
    name: String(form.name),
    email,
    role: first ? 'admin' : /** @type {any} */ (db.config.ui.DEFAULT_USER_ROLE),
    passwordHash: hash(String(form.password)),
    created_at: Math.floor(Date.now() / 1000),
  }
  db.users.push(user)
  if (first) db.config.ui.ENABLE_SIGNUP = false // the real one closes sign-up after the first (admin) account
  save(db)
  return session(user, key)
}

/** POST /api/v1/auths/add (admin only): an account with a chosen role; SigninResponse. @param {Db} db @param {string} key @param {any} form */
export function addUser(db, key, form) {
  const email = String(form?.email ?? '').toLowerCase()
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new HttpError(400, 'Invalid email format')
  if (!form?.password || !form?.name) throw new HttpError(422, 'name, email and password are required')
  if (db.users.some((u) => u.email === email)) throw new HttpError(400, MSG.EMAIL_TAKEN)
  checkLength(form.password)
  const role = form.role === 'admin' || form.role === 'user' ? form.role : 'pending'
  /** @type {User} */
  const user = {
    id: randomUUID(),
    name: String(form.name),
    email,
    role,
    passwordHash: hash(String(form.password)),
    created_at: Math.floor(Date.now() / 1000),
  }
  db.users.push(user)
  save(db)
  const { expires_at: _e, permissions: _p, ...rest } = session(user, key)
  return rest
}

/** POST /api/v1/auths/signin @param {Db} db @param {string} key @param {any} form */
export function signin(db, key, form) {
  const email = String(form?.email ?? '').toLowerCase()
  const user = db.users.find((u) => u.email === email)
  if (!user || !check(String(form?.password ?? ''), user.passwordHash)) throw new HttpError(400, MSG.INVALID_CRED)
  return session(user, key)
}

/** get_verified_user / get_admin_user. @param {Db} db @param {string} key @param {string | undefined} header @param {boolean} admin */
export function currentUser(db, key, header, admin) {
  const token = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]
  if (!token) throw new HttpError(401, MSG.NOT_AUTHENTICATED)
  const payload = verify(token, key)
  const user = payload && db.users.find((u) => u.id === payload.id)
  if (!user) throw new HttpError(401, MSG.INVALID_TOKEN)
  if (admin && user.role !== 'admin') throw new HttpError(401, MSG.ACCESS_PROHIBITED)
  if (user.role === 'pending') throw new HttpError(401, MSG.ACCESS_PROHIBITED)
  return user
}
