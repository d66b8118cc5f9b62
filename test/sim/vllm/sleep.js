// @ts-check
/**
 * vLLM sleep mode (gateway-facts §1): what `POST /sleep`, `POST /wake_up`, `GET /is_sleeping`,
 * `POST /collective_rpc {"method":"reload_weights"}` and `POST /reset_prefix_cache` do to the engine.
 *
 * - Only `weights` and `kv_cache` live in the sleep pool (§1.4): sleeping frees them on the simulated GPU and keeps
 *   the CUDA context, activation blocks and CUDA-graph pool (so nvidia-smi never drops to zero).
 * - Level 1 copies the weights to pinned host RAM (§1.3, §1.5): it needs that much free host memory
 *   (`INFERADMIN_SIM_HOST_FREE_MIB`, else the container's view of MemAvailable). PyTorch's host caching allocator
 *   keeps the pinned blocks after the wake (§1.5): `pinnedBytes()` stays until the process ends, and a later level-1
 *   sleep reuses them. Level 2 discards the weights: a plain `/wake_up` then serves garbage until `reload_weights`
 *   (vllm#29341, "gibberish outputs").
 * - Without `--enable-sleep-mode` the sleep pool is empty: 200, and `Sleep mode freed 0.00 GiB` (§1.2).
 * - From v0.21 (`sleepPausesScheduler`, PR #34528) sleep pauses scheduling: requests arriving while asleep queue
 *   and run after the wake (every wake, even a partial one, resumes); `mode=abort` (default) cuts running requests,
 *   `mode=wait` waits for them (`Waiting for in-flight requests…`); level 0 only pauses. Older versions neither
 *   wait nor queue: a request reaching a sleeping engine fails (vllm#15483; the exact failure **[inferred]**).
 * - Wake restores in place: it needs the freed memory free again on the GPU, else CUDA OOM (§1.4 **[unsure text]**).
 * - Timings on the startup's scale (÷ INFERADMIN_SIM_SPEED): a level-1 wake of a 1.2 GiB model ≈ 0.09 s against a
 *   ≈ 2.8 s cold start; level 2 adds a weight reload from disk (§1.6: 0.26 s / 0.85 s / 37.6 s on an A100).
 * The log lines are §1.7's, with vLLM's formats (`%.2f`, `%s` floats, `%.6f` seconds, Python set/list reprs).
 */
import { freemem } from 'node:os'
import { ApiError } from './errors.js'
import { memGetInfo } from './gpu.js'
import { GiB, MiB, pyFloat } from './memory.js'

/** @param {number} ms */
const pause = (ms) => new Promise((r) => setTimeout(r, ms))

/** Python's repr of a list or set of tag names. @param {Iterable<string>} tags @param {'list' | 'set'} kind */
export const pyTags = (tags, kind) => {
  const inner = [...tags].map((t) => `'${t}'`).join(', ')
  return kind === 'list' ? `[${inner}]` : `{${inner}}`
}

/** A "%s" of a float in Python (`1.0`, `0.6478`). @param {number} x */
const pyS = (x) => pyFloat(Number(x.toFixed(4)))

/** An answer of a dev-mode route: status and JSON body (none = empty body), or plain text. */
/** @typedef {{status: number, json?: unknown, text?: string}} DevAnswer */

/**
 * @typedef {object} SleeperOptions
 * @property {import('./versions.js').VersionInfo} v
 * @property {ReturnType<typeof import('./log.js').createLoggers>} logs
 * @property {{hold: (bytesPerGpu: number) => void}} alloc
 * @property {import('./gpu.js').Cuda} cuda
 * @property {number} tp
 * @property {boolean} enabled         `--enable-sleep-mode`
 * @property {number} weightsPerGpu
 * @property {number} kvBytes          per GPU
 * @property {number} awakeBytes       what the process holds per GPU awake
 * @property {number} speed
 * @property {() => number} hostFreeBytes
 * @property {(device: number) => {freeBytes: number, totalBytes: number}} [memInfo] the device's free memory (default:
 *   the simulated GPU directory's, gpu.js memGetInfo); the benchmark's virtual workstation computes its own
 */

/** @param {NodeJS.ProcessEnv} env @returns {() => number} */
export function hostFreeFrom(env) {
  const mib = Number(env.INFERADMIN_SIM_HOST_FREE_MIB)
  return () => (env.INFERADMIN_SIM_HOST_FREE_MIB && Number.isFinite(mib) ? mib * MiB : freemem())
}

/** @param {SleeperOptions} o */
export function createSleeper(o) {
  const { v, logs } = o
  const ex = v.executorFile
  /** @type {Set<string>} tags the executor sleeps (weights, kv_cache) */
  const sleeping = new Set()
  let paused = false
  let level = 0
  /** level 2 woken without reload_weights: the weight memory holds garbage */
  let garbled = false
  /** bytes per GPU of each tag still in the sleep pool */
  const pool = { weights: o.enabled ? o.weightsPerGpu : 0, kv_cache: o.enabled ? o.kvBytes : 0 }
  /** @type {Set<{abort: () => void}>} requests running now */
  const running = new Set()
  /** @type {(() => void)[]} */
  const drained = []
  /** @type {(() => void)[]} */
  const resumed = []
  const held = () => o.awakeBytes - [...sleeping].reduce((s, t) => s + pool[/** @type {'weights' | 'kv_cache'} */ (t)], 0)
  const seconds = (/** @type {number} */ s) => pause((s * 1000) / o.speed)
  const memInfo = o.memInfo ?? ((/** @type {number} */ d) => memGetInfo(o.cuda, d))
  /** host bytes pinned by level-1 backups, kept after the wake by the caching allocator (§1.5) */
  let pinned = 0
  const resume = () => {
    paused = false
    for (const r of resumed.splice(0)) r()
  }

  /** The engine fails a step: FastAPI's plain 500 (an unhandled exception in the route). @param {string} line */
  const internalError = (line) => {
    logs.engine.error('core.py:1020', line)
    return { status: 500, text: 'Internal Server Error' }
  }

  /** @param {string | null} rawLevel @param {string | null} rawMode @returns {Promise<DevAnswer>} */
  async function sleep(rawLevel, rawMode) {
    const lv = Number.parseInt(rawLevel ?? '1', 10)
    if (!Number.isFinite(lv) || String(lv) !== (rawLevel ?? '1').trim())
      return internalError(`ValueError: invalid literal for int() with base 10: '${rawLevel}'`)
    const mode = rawMode ?? 'abort'
    if (v.sleepPausesScheduler) {
      if (!['abort', 'wait', 'keep'].includes(mode)) return internalError(`ValueError: Invalid pause mode: ${mode}`)
      if (mode === 'wait' && running.size) {
        logs.engine.info('core.py:752', 'Waiting for in-flight requests to complete before sleeping...')
        await new Promise((r) => drained.push(() => r(undefined)))
      } else if (mode === 'abort') for (const r of [...running]) r.abort()
      paused = true
      if (lv === 0) return { status: 200 }
    }
    if (sleeping.size) {
      logs.engine.warning(ex, 'Executor is already sleeping.')
      return { status: 200 }
    }
    // Worker.sleep: level 1 offloads weights to pinned host memory, anything else discards (old versions: level 0 too).
    const offload = lv === 1
    const backup = offload ? pool.weights * o.tp : 0
    if (backup - pinned > o.hostFreeBytes()) {
      paused = false
      return internalError(`RuntimeError: CUDA error: out of memory (pinned host allocation of ${(backup / GiB).toFixed(2)} GiB)`)
    }
    const t0 = Date.now()
    const before = memInfo(0).freeBytes
    await seconds(0.02 + (offload ? 0.02 * (pool.weights / GiB) : 0))
    sleeping.add('weights').add('kv_cache')
    level = lv
    pinned = Math.max(pinned, backup)
    o.alloc.hold(held())
    const after = memInfo(0)
    const freed = pool.weights + pool.kv_cache
    logs.engine.info(
      'cumem.py:207',
      `CuMemAllocator: sleep freed ${(freed / GiB).toFixed(2)} GiB memory in total, of which ${(backup / o.tp / GiB).toFixed(2)} GiB ` +
        `is backed up in CPU and the rest ${((freed - backup / o.tp) / GiB).toFixed(2)} GiB is discarded directly.`,
    )
    logs.engine.info(
      'gpu_worker.py:176',
      `Sleep mode freed ${pyS(Math.max(0, after.freeBytes - before) / GiB)} GiB memory, ` +
        `${pyS((after.totalBytes - after.freeBytes) / GiB)} GiB memory is still in use.`,
    )
    logs.engine.info(ex, `It took ${((Date.now() - t0) / 1000).toFixed(6)} seconds to fall asleep.`)
    return { status: 200 }
  }

  /** @param {string[]} tags empty = everything @returns {Promise<DevAnswer>} */
  async function wakeUp(tags) {
    logs.api.info('api_router.py:64', `wake up the engine with tags: ${tags.length ? pyTags(tags, 'list') : 'None'}`)
    const answer = await wakeExecutor(
      tags.filter((t) => t !== 'scheduling'),
      tags.length > 0,
    )
    // EngineCore.wake_up always ends in resume_scheduler(), even for a partial wake (§1.2).
    if (v.sleepPausesScheduler && answer.status === 200) resume()
    return answer
  }

  /** @param {string[]} tags @param {boolean} partial @returns {Promise<DevAnswer>} */
  async function wakeExecutor(tags, partial) {
    if (!sleeping.size) {
      if (!partial || tags.length) logs.engine.warning(ex, 'Executor is not sleeping.')
      return { status: 200 }
    }
    if (partial && !tags.length) return { status: 200 }
    for (const t of tags)
      if (!sleeping.has(t)) {
        logs.engine.warning(ex, `Tag ${t} is not in sleeping tags ${pyTags(sleeping, 'set')}`)
        return { status: 200 }
      }
    const waking = partial ? tags : [...sleeping]
    const bytes = waking.reduce((s, t) => s + (pool[/** @type {'weights' | 'kv_cache'} */ (t)] ?? 0), 0)
    for (let d = 0; d < o.tp; d++) {
      const free = memInfo(d).freeBytes
      if (bytes > free)
        return internalError(
          `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ${(bytes / GiB).toFixed(2)} GiB. GPU ${d} has ` +
            `${(free / GiB).toFixed(2)} GiB free.`,
        )
    }
    const t0 = Date.now()
    const copyBack = level === 1 && waking.includes('weights')
    await seconds(0.02 + (copyBack ? 0.05 + 0.03 * (pool.weights / GiB) : 0))
    const shown = partial ? pyTags(tags, 'list') : pyTags(sleeping, 'set')
    for (const t of waking) sleeping.delete(t)
    if (level !== 1 && waking.includes('weights') && o.enabled) garbled = true
    o.alloc.hold(held())
    logs.engine.info(ex, `It took ${((Date.now() - t0) / 1000).toFixed(6)} seconds to wake up tags ${shown}.`)
    return { status: 200 }
  }

  /** `collective_rpc`: only `reload_weights` is simulated. @param {Record<string, any>} body @returns {Promise<DevAnswer>} */
  async function collectiveRpc(body) {
    const method = body?.method
    if (method === undefined || method === null) return { status: 400, json: { detail: "Missing 'method' in request body" } }
    if (method !== 'reload_weights') return internalError(`AttributeError: 'Worker' object has no attribute '${method}'`)
    if (sleeping.has('weights')) return internalError('RuntimeError: CUDA error: an illegal memory access was encountered')
    // re-reads the checkpoint from disk (the loading phase of a cold start, without compile, profiling or graphs)
    await seconds(0.15 + 0.04 * (o.weightsPerGpu / GiB))
    garbled = false
    return { status: 200, json: { results: Array.from({ length: o.tp }, () => null) } }
  }

  return {
    sleep,
    wakeUp,
    collectiveRpc,
    /** `/is_sleeping`: any tag asleep or scheduling paused. */
    isSleeping: () => sleeping.size > 0 || paused,
    garbled: () => garbled,
    /**
     * A generation or pooling request entering the engine: waits while scheduling is paused (v0.21), fails on an
     * engine whose weights are unmapped (older versions). Resolves with the function to call when it is done.
     * @param {{abort: () => void}} req
     * @returns {Promise<() => void>}
     */
    async admit(req) {
      if (!v.sleepPausesScheduler && sleeping.has('weights'))
        throw new ApiError(500, 'InternalServerError', 'CUDA error: an illegal memory access was encountered')
      while (paused) await new Promise((r) => resumed.push(() => r(undefined)))
      running.add(req)
      return () => {
        running.delete(req)
        if (!running.size) for (const d of drained.splice(0)) d()
      }
    },
    /** For tests: bytes per GPU held now. */
    heldBytes: held,
    /** Host RAM pinned by level-1 backups (kept after the wake, §1.5). */
    pinnedBytes: () => pinned,
    /** The level of the current sleep, 0 when awake. */
    level: () => (sleeping.size ? level : 0),
  }
}

/** @typedef {ReturnType<typeof createSleeper>} Sleeper */

/** vLLM's `SECURITY WARNING` at startup in dev mode (§1.1). */
export const DEV_MODE_WARNING = 'SECURITY WARNING: Development endpoints are enabled! This should NOT be used in production!'
