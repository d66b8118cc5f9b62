// @ts-check
/**
 * A virtual workstation for bench/planner-gateway.js: N simulated RTX 4090s, one simulated vLLM HTTP server
 * (bench/lib/sim-backend.js) per running model, the deployments the planner reads, the gateway's inner backends and
 * GPU telemetry in the GpuService snapshot shape — all on a clock compressed `compression` times.
 *
 * A start (the inner backends' start(id, { gpus, args })) goes creating → (after the simulated device phase) vLLM's
 * startup memory check against the memory free on its GPUs at that moment (test/sim/vllm/memory.js requestMemory:
 * free ≥ ceil(total × --gpu-memory-utilization), else vLLM's "Free memory on device … is less than desired GPU memory
 * utilization" and the deployment fails, as a real one does), then the KV budget (planMemory: weights + activation +
 * non-torch + graphs must leave room for one max-model-len request) → loading, holding total × utilization from here
 * on (vLLM allocates its whole fraction; a load's ramp is not modelled) → ready after the model's load seconds, with
 * its server listening. A stop closes the server and frees the memory at once (a real container takes a few seconds).
 * Telemetry is sampled like GpuService: memory.used every `telemetryMs`, compute apps (the per-container attribution)
 * every max(appsEveryMs, 3 × telemetryMs), both ÷ compression; nothing else uses the GPUs (external use 0).
 *
 * With `sleepMode`, every server runs as vLLM with VLLM_SERVER_DEV_MODE=1 and --enable-sleep-mode: the simulated
 * vLLM's own sleeper (test/sim/vllm/sleep.js) answers POST /sleep, /wake_up, /collective_rpc, GET /is_sleeping on the
 * model's endpoint, as the app's SleepPark calls them. Asleep a model holds what vLLM keeps outside its sleep pool
 * (activation blocks, non-torch incl. the CUDA context, the CUDA-graph pool: planMemory's arithmetic) and the
 * telemetry shows that; a wake takes the weights and KV back (CUDA OOM when they are no longer free on its GPU).
 * Sleep and wake take the sleeper's seconds × simToReal ÷ compression (the start's scale). Level 1 pins the weights in
 * host RAM (`hostFreeBytes` less every server's pinned bytes, kept after a wake until the server stops, §1.5); each
 * server's log (the "Model loading took" line of its start, then the sleep lines) is `logLines(id)`.
 */
import { MemoryError, requestMemory } from '../../test/sim/vllm/memory.js'
import { planModel } from './plan-model.js'
import { simBackend } from './sim-backend.js'

const MiB = 1024 ** 2
const GiB = 1024 ** 3
const GPU_NAME = 'NVIDIA GeForce RTX 4090'
/** Seconds of a start before vLLM's memory check (startup.js device phase 0.1 s × 20). */
const DEVICE_SECONDS = 2

/**
 * @typedef {{ id: string, w: number, layers: number, kv: number, dim: number, hidden: number, maxModelLen: number,
 *   alwaysOn: boolean, loadSeconds: number, sequences?: number }} WsModel  w: weights GiB; loadSeconds: start → ready
 * @typedef {{ state: import('../../src/main/core/gateway/backends.ts').BackendState, gpus: number[], heldBytes: number,
 *   endpoint: string | null, diagnosis: string | null, readyAt: string | null, since: string,
 *   server: Awaited<ReturnType<typeof simBackend>> | null, timer: ReturnType<typeof setTimeout> | null, epoch: number,
 *   plan: { weightBytes: number, kvBytes: number } | null, log: string[] }} Run
 */

/**
 * vLLM's startup memory check and profile on these GPUs (pure): the bytes it holds per GPU, or the fatal message.
 * @param {{ model: WsModel, totalBytes: number, free: Array<{ index: number, freeBytes: number }>, utilization: number }} o
 * @returns {{ ok: true, heldBytes: number, weightBytes: number, kvBytes: number } | { ok: false, message: string }}
 */
export function startCheck(o) {
  const m = o.model
  try {
    let held = 0
    let parts = { weightBytes: 0, kvBytes: 0 }
    for (const g of o.free) {
      const requestedBytes = requestMemory({
        device: g.index,
        totalBytes: o.totalBytes,
        freeBytes: g.freeBytes,
        utilization: o.utilization,
      })
      const p = planModel(m, { requestedBytes, maxModelLen: m.maxModelLen })
      if (p.allocatedBytes >= held) parts = { weightBytes: p.weightBytes, kvBytes: p.kvBytes }
      held = Math.max(held, p.allocatedBytes)
    }
    return { ok: true, heldBytes: held, ...parts }
  } catch (err) {
    if (err instanceof MemoryError) return { ok: false, message: `${err.pyType}: ${err.message}` }
    throw err
  }
}

export class Workstation {
  /**
   * @param {{ gpus: number, totalMiB: number, reservedMiB: number, models: WsModel[], compression: number,
   *   idleMinutes: number, telemetryMs?: number, appsEveryMs?: number, tokensPerS?: number, startedAt?: number,
   *   onUpstream?: (n: number, at: number) => void, sleepMode?: boolean, hostFreeBytes?: number, simToReal?: number }} o
   *   hostFreeBytes: host RAM free with nothing pinned (default 32 GiB); simToReal: sim seconds → trace seconds (20)
   */
  constructor(o) {
    this.o = o
    this.totalBytes = (o.totalMiB - o.reservedMiB) * MiB
    /** @type {Map<string, WsModel>} */
    this.models = new Map(o.models.map((m) => [m.id, m]))
    /** @type {Map<string, Run>} */
    this.runs = new Map(
      o.models.map((m) => [
        m.id,
        {
          state: 'stopped',
          gpus: [],
          heldBytes: 0,
          endpoint: null,
          diagnosis: null,
          readyAt: null,
          since: iso(),
          server: null,
          timer: null,
          epoch: 0,
          plan: null,
          log: [],
        },
      ]),
    )
    /** @type {Set<() => void>} */
    this.listeners = new Set()
    /** @type {Set<(s: any) => void>} */
    this.samplers = new Set()
    /** Starts (ms real start → ready or failure), stops by reason, failed starts with vLLM's message. */
    this.log = {
      starts: /** @type {Array<{ id: string, ms: number, ok: boolean }>} */ ([]),
      stops: /** @type {string[]} */ ([]),
      failures: /** @type {string[]} */ ([]),
    }
    /** @type {Map<string, number>} real start time of each start in progress */
    this.startAt = new Map()
    this.apps = this.#apps()
    this.sample = this.#sample()
    const every = Math.max(1, (o.telemetryMs ?? 1000) / o.compression)
    const appsEvery = Math.max((o.appsEveryMs ?? 2000) / o.compression, 3 * every)
    let lastApps = performance.now()
    this.sampler = setInterval(() => {
      if (performance.now() - lastApps >= appsEvery) {
        this.apps = this.#apps()
        lastApps = performance.now()
      }
      this.sample = this.#sample()
      for (const fn of [...this.samplers]) fn(this.sample)
    }, every)
  }

  /** Host RAM free now: hostFreeBytes less what the running servers pinned for level-1 sleep. */
  hostFree() {
    let pinned = 0
    for (const r of this.runs.values()) pinned += r.server?.sleeper?.pinnedBytes() ?? 0
    return (this.o.hostFreeBytes ?? 32 * GiB) - pinned
  }

  /** The log of a model's server (its start's weights line, then sleep and wake lines). @param {string} id */
  logLines(id) {
    return /** @type {Run} */ (this.runs.get(id)).log
  }

  /** Bytes our models hold on GPU `g` now. @param {number} g */
  heldOn(g) {
    let s = 0
    for (const r of this.runs.values()) if (r.gpus.includes(g)) s += r.heldBytes
    return s
  }

  #apps() {
    const at = iso()
    return {
      at,
      per: Array.from({ length: this.o.gpus }, (_, g) =>
        [...this.runs]
          .filter(([, r]) => r.gpus.includes(g) && r.heldBytes > 0)
          .map(([id, r]) => ({ id, usedMiB: Math.round(r.heldBytes / MiB) })),
      ),
    }
  }

  /** @returns {import('../../src/shared/contract/gpu.ts').GpusSnapshot} */
  #sample() {
    const { totalMiB, reservedMiB } = this.o
    const apps = this.apps
    return {
      status: 'ok',
      at: iso(),
      intervalMs: 1000,
      fault: null,
      gpus: Array.from({ length: this.o.gpus }, (_, g) => {
        const used = Math.round(this.heldOn(g) / MiB)
        const free = totalMiB - reservedMiB - used
        const containers = (apps.per[g] ?? []).map((c) => ({
          containerId: `c-${c.id}`,
          containerName: `inferadmin-${c.id}`,
          deploymentId: c.id,
          labels: {},
          pids: [1000 + g],
          usedMiB: c.usedMiB,
        }))
        return {
          index: g,
          uuid: `GPU-${g}`,
          name: GPU_NAME,
          memoryTotalMiB: totalMiB,
          memoryUsedMiB: used,
          memoryFreeMiB: free,
          utilizationPct: 0,
          powerDrawW: null,
          powerLimitW: null,
          temperatureC: null,
          driverVersion: '570.00',
          memory: {
            containers,
            otherMiB: Math.max(0, used - containers.reduce((s, c) => s + c.usedMiB, 0)),
            otherProcesses: [],
            freeMiB: free,
            reservedMiB,
            appsAt: apps.at,
          },
        }
      }),
    }
  }

  /** GpuService's face for the planner. */
  get gpu() {
    return {
      snapshot: () => this.sample,
      onSnapshot: (/** @type {(s: any) => void} */ fn) => (this.samplers.add(fn), { dispose: () => void this.samplers.delete(fn) }),
    }
  }

  /** @param {() => void} fn */
  onChange(fn) {
    this.listeners.add(fn)
    return { dispose: () => void this.listeners.delete(fn) }
  }

  #emit() {
    for (const fn of [...this.listeners]) fn()
  }

  /** @param {string} id @param {Partial<Run>} patch */
  #set(id, patch) {
    Object.assign(/** @type {Run} */ (this.runs.get(id)), patch, patch.state ? { since: iso() } : {})
    this.#emit()
  }

  /** The gateway's inner backends (planner-backends.ts InnerBackends). */
  get backends() {
    return {
      list: () =>
        [...this.runs].map(([id, r]) => ({
          id,
          servedNames: [id],
          serve: /** @type {'always-on' | 'on-demand'} */ (this.models.get(id)?.alwaysOn ? 'always-on' : 'on-demand'),
          state: r.state,
          endpoint: r.state === 'ready' ? r.endpoint : null,
          diagnosis: r.state === 'failed' ? (r.diagnosis ?? undefined) : undefined,
          idleMinutes: this.models.get(id)?.alwaysOn ? 0 : this.o.idleMinutes,
        })),
      onChange: (/** @type {() => void} */ fn) => this.onChange(fn),
      start: (/** @type {string} */ id, /** @type {{ gpus?: string[], args?: Record<string, unknown> } | undefined} */ override) =>
        this.start(id, override),
      stop: (/** @type {string} */ id, /** @type {'idle' | 'manual'} */ reason) => this.stop(id, reason),
    }
  }

  /**
   * Start a model (as the deployment service does: the call returns at once, the state follows).
   * @param {string} id @param {{ gpus?: string[], args?: Record<string, unknown> }} [override]
   */
  start(id, override) {
    const r = /** @type {Run} */ (this.runs.get(id))
    const m = /** @type {WsModel} */ (this.models.get(id))
    if (['creating', 'starting', 'loading', 'ready'].includes(r.state)) return
    const gpus = (override?.gpus ?? ['GPU-0']).map((u) => Number(u.slice(4)))
    const u = Number(override?.args?.['--gpu-memory-utilization'] ?? 0.92)
    const epoch = r.epoch + 1
    const C = this.o.compression
    this.startAt.set(id, performance.now())
    this.#set(id, { state: 'creating', gpus, heldBytes: 0, endpoint: null, diagnosis: null, epoch, plan: null, log: [] })
    r.timer = setTimeout(
      () => {
        const free = gpus.map((index) => ({ index, freeBytes: this.totalBytes - this.heldOn(index) }))
        const c = startCheck({ model: m, totalBytes: this.totalBytes, free, utilization: u })
        if (!c.ok) {
          this.log.failures.push(`${id}: ${c.message}`)
          this.#settled(id, false)
          return this.#set(id, { state: 'failed', gpus: [], diagnosis: c.message, timer: null })
        }
        this.#set(id, { state: 'loading', heldBytes: c.heldBytes, plan: { weightBytes: c.weightBytes, kvBytes: c.kvBytes } })
        // The line SleepPark reads the weights from (v0.21+ wording, as the simulated vLLM prints it).
        const took = `${(c.weightBytes / GiB).toFixed(2)} GiB memory and ${(m.loadSeconds / C / 2).toFixed(6)} seconds`
        r.log.push(`(EngineCore pid=1) INFO ${stamp()} [gpu_model_runner.py:2634] Model loading took ${took}`)
        r.timer = setTimeout(() => void this.#up(id, epoch), ((m.loadSeconds - DEVICE_SECONDS) * 1000) / C)
      },
      (DEVICE_SECONDS * 1000) / C,
    )
  }

  /** @param {string} id @param {boolean} ok */
  #settled(id, ok) {
    const t = this.startAt.get(id)
    if (t === undefined) return
    this.startAt.delete(id)
    this.log.starts.push({ id, ms: performance.now() - t, ok })
  }

  /** @param {string} id @param {number} epoch */
  async #up(id, epoch) {
    const r = /** @type {Run} */ (this.runs.get(id))
    const server = await simBackend({
      names: [id],
      tokensPerS: this.o.tokensPerS ?? 500,
      ttftMs: 0,
      ...(this.o.sleepMode && r.plan ? { sleep: this.#sleepOf(id, epoch, r, r.plan) } : {}),
    })
    if (r.epoch !== epoch || r.state !== 'loading') return void (await server.close())
    server.server.prependListener('request', (req) => {
      const n = req.headers['x-bench-n']
      if (typeof n === 'string') this.o.onUpstream?.(Number(n), performance.now())
    })
    this.#settled(id, true)
    this.#set(id, { state: 'ready', endpoint: server.url, server, readyAt: iso(), timer: null })
  }

  /**
   * The simulated vLLM's sleep over this run's memory: held bytes follow the sleeper, free memory is the GPU's now.
   * @param {string} id @param {number} epoch @param {Run} r @param {{ weightBytes: number, kvBytes: number }} plan
   * @returns {import('./sim-backend.js').SimSleep}
   */
  #sleepOf(id, epoch, r, plan) {
    return {
      weightsPerGpu: plan.weightBytes,
      kvBytes: plan.kvBytes,
      awakeBytes: r.heldBytes,
      speed: this.o.compression / (this.o.simToReal ?? 20),
      hostFreeBytes: () => this.hostFree(),
      hold: (bytes) => void (r.epoch === epoch && this.#set(id, { heldBytes: bytes })),
      memInfo: (d) => ({ freeBytes: this.totalBytes - this.heldOn(/** @type {number} */ (r.gpus[d])), totalBytes: this.totalBytes }),
      out: (text) => void (r.epoch === epoch && r.log.push(...text.split('\n').filter(Boolean))),
    }
  }

  /** @param {string} id @param {'idle' | 'manual'} reason */
  async stop(id, reason) {
    const r = /** @type {Run} */ (this.runs.get(id))
    if (r.state === 'stopped' || r.state === 'failed') return
    this.log.stops.push(`${id} ${reason}`)
    if (r.timer) clearTimeout(r.timer)
    this.startAt.delete(id)
    const server = r.server
    this.#set(id, { state: 'stopping', endpoint: null, server: null, timer: null, epoch: r.epoch + 1 })
    await server?.close()
    this.#set(id, { state: 'stopped', gpus: [], heldBytes: 0, readyAt: null })
  }

  async close() {
    clearInterval(this.sampler)
    for (const [id, r] of this.runs) if (r.state !== 'stopped' && r.state !== 'failed') await this.stop(id, 'manual')
    this.listeners.clear()
    this.samplers.clear()
  }
}

const iso = () => new Date().toISOString()
/** vLLM's log time stamp (`%m-%d %H:%M:%S`). */
const stamp = () => new Date().toISOString().slice(5, 19).replace('T', ' ')
