// @ts-check
/**
 * What differs between the simulated vLLM versions. Each image tag maps to one flag snapshot of
 * shared/reference/vllm-serve-args-history.json (vllm-facts §1.3) and to the log/entrypoint details
 * of its time (vllm-facts §2 "Startup log lines", §1.3 "Docker image entrypoint changed").
 */

/**
 * @typedef {object} VersionInfo
 * @property {string} version            what /version and the logs report
 * @property {string} snapshot           key in data/serve-args.json
 * @property {'api_server' | 'serve'} entrypoint  python3 -m vllm.entrypoints.openai.api_server (≤ v0.11.0) or `vllm serve`
 * @property {{api: string, engine: string} | null} procPrefix  `(APIServer pid=1) ` style prefixes (absent in v0.10.0)
 * @property {'api' | 'logo'} banner     `vLLM API server version X` or the logo block
 * @property {'and' | 'memory4' | 'memory2'} modelLoading  `… GiB and …` (≤0.11), `%.4f GiB memory and` (0.12), `%s GiB memory and` (2026)
 * @property {'seconds' | 's'} initEngineUnit
 * @property {string} listening          format of the "Starting … server" line
 * @property {boolean} graphsInBudget    v0.21+: CUDA-graph memory estimated inside the fraction (PR #38284)
 * @property {boolean} modelFlagWarning  v0.20+: warning that --model will be removed in favour of the positional
 * @property {'object' | 'wrapped'} errorShape  OpenAI error body: {"object":"error",…} (≤ v0.10.0) or {"error":{…}}
 *   (PR #22099, 2025-08-06, ≈v0.10.1; gateway-facts §3.2)
 * @property {boolean} errorParam         `param` names the field ("model" on an unknown model), as at 2026-05 (§3.2)
 * @property {string[]} authPrefixes      paths --api-key guards: `/v1` only before PR #42594 (2026-05-16), then
 *   `/v1`, `/v2`, `/inference` (gateway-facts §0.2)
 * @property {boolean} routesByTask       routers mounted by supported task (gateway-facts §3, 2026-05); before, every
 *   route is mounted and an unsupported one answers 400 "The model does not support … API" **[inferred boundary]**
 * @property {boolean} messagesApi        Anthropic /v1/messages (PR #22627, 2025-10-22, ≈v0.11.1; §3)
 * @property {'list' | 'context'} validationStyle  FastAPI's RequestValidationError text: the error list, or (2026
 *   FastAPI) `N validation error:` + the endpoint's file/line **[inferred boundary]**
 * @property {string | null} imageTag    VLLM_IMAGE_TAG env of the image (set by the Dockerfile since 2026)
 * @property {boolean} sleepPausesScheduler  sleep pauses scheduling (requests arriving while asleep queue until the wake),
 *   `mode=abort|wait|keep` and level 0 (PR #34528, 2026-02-24, ≈v0.16/0.17; gateway-facts §1.1, §1.2); before, a request
 *   reaching a sleeping engine runs on unmapped memory (vllm#15483)
 * @property {string} executorFile       where the executor's sleep/wake timing lines come from: `executor_base.py` (2025
 *   builds) or `abstract.py` (§1.7) **[unsure boundary]**
 */

/** @type {Record<string, VersionInfo>} */
export const VERSIONS = {
  'v0.10.0': {
    version: '0.10.0',
    snapshot: 'v0.10.0',
    entrypoint: 'api_server',
    procPrefix: null,
    banner: 'api',
    modelLoading: 'and',
    initEngineUnit: 'seconds',
    listening: 'Starting vLLM API server 0 on %s',
    graphsInBudget: false,
    modelFlagWarning: false,
    errorShape: 'object',
    errorParam: false,
    authPrefixes: ['/v1'],
    routesByTask: false,
    messagesApi: false,
    validationStyle: 'list',
    imageTag: null,
    sleepPausesScheduler: false,
    executorFile: 'executor_base.py:202',
  },
  'v0.11.0': {
    version: '0.11.0',
    snapshot: 'v0.11.0',
    entrypoint: 'api_server',
    procPrefix: { api: 'APIServer', engine: 'EngineCore_DP0' },
    banner: 'api',
    modelLoading: 'and',
    initEngineUnit: 'seconds',
    listening: 'Starting vLLM API server 0 on %s',
    graphsInBudget: false,
    modelFlagWarning: false,
    errorShape: 'wrapped',
    errorParam: false,
    authPrefixes: ['/v1'],
    routesByTask: false,
    messagesApi: false,
    validationStyle: 'list',
    imageTag: null,
    sleepPausesScheduler: false,
    executorFile: 'executor_base.py:202',
  },
  'v0.12.0': {
    version: '0.12.0',
    snapshot: 'v0.12.0',
    entrypoint: 'serve',
    procPrefix: { api: 'APIServer', engine: 'EngineCore_DP0' },
    banner: 'api',
    modelLoading: 'memory4',
    initEngineUnit: 'seconds',
    listening: 'Starting vLLM API server 0 on %s',
    graphsInBudget: false,
    modelFlagWarning: false,
    errorShape: 'wrapped',
    errorParam: false,
    authPrefixes: ['/v1'],
    routesByTask: false,
    messagesApi: true,
    validationStyle: 'list',
    imageTag: null,
    sleepPausesScheduler: false,
    executorFile: 'executor_base.py:202',
  },
  'v0.21.0': {
    version: '0.21.0',
    snapshot: 'v0.21.0',
    entrypoint: 'serve',
    procPrefix: { api: 'APIServer', engine: 'EngineCore' },
    banner: 'logo',
    modelLoading: 'memory2',
    initEngineUnit: 's',
    listening: 'Starting vLLM server on %s',
    graphsInBudget: true,
    modelFlagWarning: true,
    errorShape: 'wrapped',
    errorParam: true,
    authPrefixes: ['/v1'],
    routesByTask: true,
    messagesApi: true,
    validationStyle: 'context',
    imageTag: 'v0.21.0',
    sleepPausesScheduler: true,
    executorFile: 'abstract.py:322',
  },
}
VERSIONS.latest = { .../** @type {VersionInfo} */ (VERSIONS['v0.21.0']), imageTag: 'latest' }
VERSIONS.nightly = {
  .../** @type {VersionInfo} */ (VERSIONS['v0.21.0']),
  version: '0.21.1.dev87+g9aaf83ef5',
  imageTag: 'nightly',
  // the reference snapshot V (9aaf83ef5, 2026-05-19) is after PR #42594 (2026-05-16)
  authPrefixes: ['/v1', '/v2', '/inference'],
}

/**
 * @param {string} tag image tag or version key
 * @returns {VersionInfo}
 */
export function versionInfo(tag) {
  const v = VERSIONS[tag]
  if (!v) throw new Error(`unknown simulated vLLM version "${tag}" (one of ${Object.keys(VERSIONS).join(', ')})`)
  return v
}
