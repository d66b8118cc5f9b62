// @ts-check
/**
 * The route table of the simulated vLLM and what decides which routes a server mounts
 * (gateway-facts §3 table: path, method, "mounted when", where `model` is read, auth).
 *
 * Supported tasks, as vLLM derives them from the model and `--runner/--convert/--task`:
 * - `generate` for decoder LMs (`*ForCausalLM`, `*ForConditionalGeneration` except Whisper);
 * - `transcription` for Whisper (`WhisperForConditionalGeneration`, transcription-only);
 * - a pooling task for `--runner pooling`, `--convert embed|classify`, `--task embed|classify|score|…` or a pooling
 *   architecture (`*Model`, `*ForSequenceClassification`, `*ForMaskedLM`): `classify` for sequence classifiers and
 *   `--convert classify`, else `embed`;
 * - scoring (`/score`, `/rerank`, …) for `embed`, and for `classify` only with `num_labels == 1` (a cross-encoder
 *   reranker; vLLM `entrypoints/pooling/utils.py::enable_scoring_api`).
 *
 * From v0.21.0 (`routesByTask`) only the routers of supported tasks are mounted (vLLM `api_server.py::build_app`
 * at the reference snapshot), so another route is FastAPI's 404 `{"detail":"Not Found"}`; older versions mount
 * them all and answer 400 `The model does not support … API` (route logs of 2025 list every route).
 */

/**
 * @typedef {object} Tasks
 * @property {boolean} generate
 * @property {boolean} transcription
 * @property {'embed' | 'classify' | null} pooling
 * @property {boolean} score
 */

/**
 * @param {{architecture: string, numLabels: number, runner?: string | null, convert?: string | null, task?: string | null}} m
 * @returns {Tasks}
 */
export function supportedTasks(m) {
  const arch = m.architecture
  const poolingArch = /Model$|ForSequenceClassification$|ForMaskedLM$/.test(arch) && !/ForCausalLM|ForConditionalGeneration/.test(arch)
  const classifyAsked = m.convert === 'classify' || ['classify', 'score', 'reward'].includes(m.task ?? '')
  const embedAsked = m.convert === 'embed' || ['embed', 'embedding'].includes(m.task ?? '')
  const pooling = m.runner === 'pooling' || classifyAsked || embedAsked || poolingArch
  if (pooling) {
    const kind = classifyAsked || (!embedAsked && /ForSequenceClassification$/.test(arch)) ? 'classify' : 'embed'
    return { generate: false, transcription: false, pooling: kind, score: kind === 'embed' || m.numLabels === 1 }
  }
  if (/^Whisper/.test(arch)) return { generate: false, transcription: true, pooling: null, score: false }
  return { generate: true, transcription: false, pooling: null, score: false }
}

/** vLLM's `Supported tasks: [...]` list. @param {Tasks} t */
export function taskNames(t) {
  /** @type {string[]} */
  const out = []
  if (t.generate) out.push('generate')
  if (t.transcription) out.push('transcription')
  if (t.pooling) out.push(t.pooling)
  if (t.score && t.pooling === 'classify') out.push('score')
  return out
}

/**
 * @typedef {object} Route
 * @property {string} path          FastAPI path (`{id}` = one segment)
 * @property {string[]} methods
 * @property {string} handler       key in the server's handler table
 * @property {'always' | 'generate' | 'transcription' | 'pooling' | 'embed' | 'classify' | 'score' | 'dev'} mount
 * @property {'json' | 'form' | null} body
 * @property {string} [api]         name in "The model does not support <api> API" (versions without routesByTask)
 * @property {string} [file]        module under vllm/entrypoints/ (for FastAPI's 2026 validation text)
 * @property {string} [fn]          endpoint function
 * @property {'messages'} [since]
 */

/**
 * @param {string} path @param {string} handler @param {Route['mount']} mount @param {string} api
 * @param {string} where `module:function` of the endpoint @param {Route['since']} [since]
 * @returns {Route}
 */
function post(path, handler, mount, api, where, since) {
  const [file, fn] = where.split(':')
  const body = path.startsWith('/v1/audio/') ? 'form' : 'json'
  return { path, methods: ['POST'], handler, mount, body, api, file: `${file}.py`, fn, ...(since ? { since } : {}) }
}

/** @param {string} path @param {string[]} methods @param {string} handler @returns {Route} */
const get = (path, methods, handler) => ({ path, methods, handler, mount: 'always', body: null })

/** @type {Route[]} in the order vLLM logs them ("Route: /health, Methods: GET") */
export const ROUTES = [
  get('/openapi.json', ['GET', 'HEAD'], 'openapi'),
  get('/docs', ['GET', 'HEAD'], 'docs'),
  get('/health', ['GET'], 'health'),
  get('/load', ['GET'], 'load'),
  get('/ping', ['GET', 'POST'], 'ping'),
  get('/version', ['GET'], 'version'),
  get('/metrics', ['GET'], 'metrics'),
  post('/tokenize', 'tokenize', 'always', '', 'serve/tokenize/api_router:tokenize'),
  post('/detokenize', 'detokenize', 'always', '', 'serve/tokenize/api_router:detokenize'),
  get('/v1/models', ['GET'], 'models'),
  post('/v1/chat/completions', 'chat', 'generate', 'Chat Completions', 'openai/chat_completion/api_router:create_chat_completion'),
  post('/v1/completions', 'completions', 'generate', 'Completions', 'openai/completion/api_router:create_completion'),
  post('/v1/responses', 'responses', 'generate', 'Responses', 'openai/responses/api_router:create_responses'),
  post('/v1/messages', 'messages', 'generate', 'Messages', 'anthropic/api_router:create_messages', 'messages'),
  post('/v1/messages/count_tokens', 'countTokens', 'generate', 'Messages', 'anthropic/api_router:count_tokens', 'messages'),
  post(
    '/v1/audio/transcriptions',
    'transcriptions',
    'transcription',
    'Transcriptions',
    'speech_to_text/transcription/api_router:create_transcriptions',
  ),
  post(
    '/v1/audio/translations',
    'translations',
    'transcription',
    'Translations',
    'speech_to_text/translation/api_router:create_translations',
  ),
  post('/pooling', 'pooling', 'pooling', 'Pooling', 'pooling/pooling/api_router:create_pooling'),
  post('/classify', 'classify', 'classify', 'Classification', 'pooling/classify/api_router:create_classify'),
  post('/v1/embeddings', 'embeddings', 'embed', 'Embeddings', 'pooling/embed/api_router:create_embedding'),
  post('/score', 'score', 'score', 'Score', 'pooling/scoring/api_router:create_score'),
  post('/v1/score', 'score', 'score', 'Score', 'pooling/scoring/api_router:create_score_v1'),
  post('/rerank', 'rerank', 'score', 'Rerank (Score)', 'pooling/scoring/api_router:do_rerank'),
  post('/v1/rerank', 'rerank', 'score', 'Rerank (Score)', 'pooling/scoring/api_router:do_rerank_v1'),
  post('/v2/rerank', 'rerank', 'score', 'Rerank (Score)', 'pooling/scoring/api_router:do_rerank_v2'),
]

/**
 * Dev-mode routes, mounted only with VLLM_SERVER_DEV_MODE=1 (gateway-facts §1.1, §1.2; not guarded by --api-key);
 * the sleep-mode ones and what a level-2 wake needs.
 * @type {Route[]}
 */
export const DEV_ROUTES = [
  { path: '/sleep', methods: ['POST'], handler: 'sleep', mount: 'dev', body: null },
  { path: '/wake_up', methods: ['POST'], handler: 'wakeUp', mount: 'dev', body: null },
  { path: '/is_sleeping', methods: ['GET'], handler: 'isSleeping', mount: 'dev', body: null },
  { path: '/collective_rpc', methods: ['POST'], handler: 'collectiveRpc', mount: 'dev', body: 'json' },
  { path: '/reset_prefix_cache', methods: ['POST'], handler: 'resetPrefixCache', mount: 'dev', body: null },
]

/** @param {Route} r @param {Tasks} t */
function supports(r, t) {
  switch (r.mount) {
    case 'always':
    case 'dev':
      return true
    case 'generate':
      return t.generate
    case 'transcription':
      return t.transcription
    case 'pooling':
      return t.pooling !== null
    case 'embed':
      return t.pooling === 'embed'
    case 'classify':
      return t.pooling === 'classify'
    case 'score':
      return t.score
  }
}

/**
 * The routes one server mounts, each with whether its task is supported (only false on versions without
 * routesByTask, where the handler answers "The model does not support … API").
 * @param {import('./versions.js').VersionInfo} v
 * @param {Tasks} t
 * @param {boolean} [devMode] VLLM_SERVER_DEV_MODE=1
 * @returns {(Route & {supported: boolean})[]}
 */
export function mountedRoutes(v, t, devMode = false) {
  return [...ROUTES, ...(devMode ? DEV_ROUTES : [])]
    .filter((r) => (r.since === 'messages' ? v.messagesApi : true))
    .map((r) => ({ ...r, supported: supports(r, t) }))
    .filter((r) => r.supported || !v.routesByTask)
}

/**
 * Starlette-style matching: the first route whose path matches and allows the method; a path match with
 * another method → 405 with `Allow`; none → 404. HEAD is allowed wherever GET is.
 * @template {Route} R
 * @param {R[]} routes
 * @param {string} method
 * @param {string} path
 * @returns {{route: R} | {status: 405, allow: string[]} | {status: 404}}
 */
export function matchRoute(routes, method, path) {
  /** @type {string[] | null} */
  let allow = null
  for (const r of routes) {
    const re = new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`)
    if (!re.test(path)) continue
    const methods = r.methods.includes('GET') && !r.methods.includes('HEAD') ? [...r.methods, 'HEAD'] : r.methods
    if (methods.includes(method)) return { route: r }
    allow = [...(allow ?? []), ...r.methods]
  }
  return allow ? { status: 405, allow } : { status: 404 }
}
