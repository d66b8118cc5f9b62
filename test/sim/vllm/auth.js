// @ts-check
/**
 * vLLM's `--api-key` check (`AuthenticationMiddleware`, vLLM `entrypoints/openai/server_utils.py`;
 * gateway-facts §0.2 and §3.3):
 * - keys: `--api-key k1 k2` (a list; one string before ≈v0.12), else env `VLLM_API_KEY`
 *   (`args.api_key or [envs.VLLM_API_KEY]`, empty values dropped); no key → no middleware at all;
 * - guarded: paths starting with the version's prefixes (`/v1` only before PR #42594, 2026-05-16; then `/v1`,
 *   `/v2`, `/inference`), every method except OPTIONS; `/health`, `/metrics`, `/tokenize`, `/pooling`, `/score`,
 *   `/rerank`, `/classify`, … are open. The middleware runs before routing, so an unknown `/v1/…` path without a
 *   key is 401 too;
 * - accepted: `Authorization: <scheme> <token>` with scheme `bearer` in any case and the token equal to a key
 *   (SHA-256 digests compared with `secrets.compare_digest`);
 * - rejected: 401 with the non-OpenAI body `{"error": "Unauthorized"}`.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

export const UNAUTHORIZED = { error: 'Unauthorized' }

/**
 * The keys vLLM would enforce, or null when it starts without the middleware.
 * @param {string | string[] | null | undefined} flag parsed `--api-key`
 * @param {NodeJS.ProcessEnv} env
 * @returns {string[] | null}
 */
export function apiKeys(flag, env) {
  const given = flag === null || flag === undefined ? [] : Array.isArray(flag) ? flag : [flag]
  const keys = (given.length ? given : [env.VLLM_API_KEY]).filter((k) => typeof k === 'string' && k !== '')
  return keys.length ? /** @type {string[]} */ (keys) : null
}

/** @param {string} s */
const digest = (s) => createHash('sha256').update(s, 'utf8').digest()

/**
 * Is this request let through?
 * @param {{keys: string[] | null, prefixes: string[]}} auth
 * @param {string} method
 * @param {string} path URL path (no query)
 * @param {string | undefined} authorization the Authorization header
 */
export function authorized(auth, method, path, authorization) {
  if (!auth.keys || method === 'OPTIONS') return true
  if (!auth.prefixes.some((p) => path.startsWith(p))) return true
  if (!authorization) return false
  const space = authorization.indexOf(' ')
  const scheme = space < 0 ? authorization : authorization.slice(0, space)
  const token = space < 0 ? '' : authorization.slice(space + 1)
  if (scheme.toLowerCase() !== 'bearer') return false
  const got = digest(token)
  let ok = false
  for (const k of auth.keys) ok = timingSafeEqual(got, digest(k)) || ok
  return ok
}
