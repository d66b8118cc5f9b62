// @ts-check
/**
 * vLLM's error bodies (gateway-facts §3.2, vLLM `entrypoints/openai/server_utils.py` handlers):
 * - OpenAI-style `{"error":{"message","type","param","code"}}` with `code` the integer status and `type` a
 *   Python-style name (`BadRequestError`, `NotFoundError`, …); flat `{"object":"error",…}` up to v0.10.0;
 * - request validation (pydantic/FastAPI `RequestValidationError`) → 400 with `type` "Bad Request" (the reason
 *   phrase, `validation_exception_handler`) and the error list in Python repr as the message;
 * - a route that is not mounted → FastAPI's own `{"detail":"Not Found"}` / `{"detail":"Method Not Allowed"}`
 *   (Starlette's HTTPException, which vLLM's handler for fastapi.HTTPException does not catch, §3);
 * - `--api-key` rejection → 401 `{"error":"Unauthorized"}` (§0.2, auth.js);
 * - Anthropic routes translate to `{"type":"error","error":{"type","message"}}` (`anthropic/api_router.py`).
 */

export class ApiError extends Error {
  /**
   * @param {number} code HTTP status
   * @param {string} type e.g. BadRequestError
   * @param {string} message
   * @param {string | null} [param] the field at fault (only shown by versions with `errorParam`)
   */
  constructor(code, type, message, param = null) {
    super(message)
    this.code = code
    this.type = type
    this.param = param
    /** raised inside an Anthropic handler: answered in Anthropic's shape */
    this.anthropic = false
  }
}

/** @param {import('./versions.js').VersionInfo} v @param {ApiError} e */
export function errorBody(v, e) {
  const inner = { message: e.message, type: e.type, param: v.errorParam ? e.param : null, code: e.code }
  return v.errorShape === 'wrapped' ? { error: inner } : { object: 'error', ...inner }
}

/** The Anthropic shape of the same error (`translate_error_response`). @param {ApiError} e */
export const anthropicErrorBody = (e) => ({ type: 'error', error: { type: e.type, message: e.message } })

/** A Python tuple for `pyRepr` (pydantic's `loc`). */
export class PyTuple {
  /** @param {unknown[]} items */
  constructor(items) {
    this.items = items
  }
}

/** Python's repr of JSON-like values (dicts keep insertion order, like pydantic's error dicts). @param {unknown} x @returns {string} */
export function pyRepr(x) {
  if (x === null || x === undefined) return 'None'
  if (x === true) return 'True'
  if (x === false) return 'False'
  if (typeof x === 'number') return Number.isFinite(x) ? String(x) : 'nan'
  if (typeof x === 'string') {
    const s = x.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
    return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/'/g, "\\'")}'`
  }
  if (x instanceof PyTuple) return x.items.length === 1 ? `(${pyRepr(x.items[0])},)` : `(${x.items.map(pyRepr).join(', ')})`
  if (Array.isArray(x)) return `[${x.map(pyRepr).join(', ')}]`
  return `{${Object.entries(/** @type {object} */ (x))
    .map(([k, y]) => `${pyRepr(k)}: ${pyRepr(y)}`)
    .join(', ')}}`
}

/**
 * pydantic's "Field required" error for a body field.
 * @param {string} field @param {unknown} input the whole body as received
 */
export const missing = (field, input) => ({ type: 'missing', loc: new PyTuple(['body', field]), msg: 'Field required', input })

/**
 * 400 for a RequestValidationError, worded as the version's FastAPI does: the error list (`str(errors)`,
 * seen as `[{'type': 'missing', 'loc': ('body',), 'msg': 'Field required', 'input': None}]`), or the 2026
 * form `1 validation error:\n  {…}\n\n  File "…", line N, in fn\n    POST /path` followed by the list
 * (`message = f"{exc_str} {errors_str}"` when they differ) **[unsure: FastAPI release that changed it]**.
 * @param {import('./versions.js').VersionInfo} v
 * @param {unknown[]} errors
 * @param {{method: string, path: string, fn: string, file: string}} endpoint
 * @param {string | null} [param]
 */
export function validationError(v, errors, endpoint, param = null) {
  const list = pyRepr(errors)
  if (v.validationStyle === 'list') return new ApiError(400, 'Bad Request', list, param)
  const n = errors.length
  const text =
    `${n} validation error${n === 1 ? '' : 's'}:\n` +
    errors.map((e) => `  ${typeof e === 'string' ? e : pyRepr(e)}\n`).join('') +
    `\n  File "/usr/local/lib/python3.12/dist-packages/vllm/entrypoints/${endpoint.file}", line 1, in ${endpoint.fn}\n` +
    `    ${endpoint.method} ${endpoint.path}`
  return new ApiError(400, 'Bad Request', `${text} ${list}`, param)
}

/** FastAPI's default bodies for unmatched routes (Starlette HTTPException → `{"detail": phrase}`). */
export const NOT_FOUND = { detail: 'Not Found' }
export const METHOD_NOT_ALLOWED = { detail: 'Method Not Allowed' }
