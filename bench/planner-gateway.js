#!/usr/bin/env node
// @ts-check
// The memory planner's benchmark through the real gateway (issue #16), ONE JSON line. bench/planner.js's 24-hour trace
// (bench/lib/day.js: same seed, same six models, one always-on embedding model) is sent as real HTTP chat completions
// to a real GatewayServer at the trace's times ÷ COMPRESSION, on 1 and 2 GPUs of a virtual workstation
// (bench/lib/workstation.js: a simulated vLLM HTTP server per running model, vLLM's startup free-memory check as the
// judge, telemetry in GpuService's shape computed from what runs), for three policies:
// - ours: createPlanner exactly as create-core wires it (PlannerService over the telemetry, the deployments, the
//   gateway's traffic and the footprint store; plannedBackends admitting every gateway start), footprints learned as
//   if each model had been loaded once (bench/lib/ws-deployments.js), sleep mode off;
// - ours+sleep: the same with every deployment's sleep mode 'auto' (bench/lib/ours-planner.js): the inner backends
//   are the app's deploymentBackends + SleepPark over the workstation's deployments, so idle unloads and the
//   planner's 'sleep' evictions park models in the simulated vLLM's sleep (POST /sleep, level 1 only with the
//   workstation's 32 GiB of host RAM free, pinned blocks kept after a wake) and admission wakes them (/wake_up, the
//   four-step level-2 wake); wakes and wake seconds (SleepPark's wall time × COMPRESSION, and nominal: the sim's
//   timeline × 20) are reported, and the goal counts wake seconds as cold-start seconds (as bench/planner.js does);
// - lru (plain LRU, stop-all discovery) and swap (one model at a time beside the always-on one): bench/lib/policies.js
//   behind bench/lib/policy-admission.js, in the planner's place in plannedBackends.
// Everything else is the app's code: holds (600 s), idle unload (Settings' default 15 min), one start per model,
// 503 + Retry-After for a refusal, eviction only of idle models. Every time constant is divided by COMPRESSION
// through options: the gateway's maxWaitMs, the backends' idleMinutes, the planner's drainLimitMs, freeWaitMs,
// reservationGraceMs and eviction horizon/window, the telemetry interval (1 s, compute apps 2 s), load seconds and
// generation time. Client, gateway, planner and backends share this one process (and two busy cores).
//
// Noise, honestly: at 1440× a trace second is 0.7 ms real. Node timers fire ≥ 1 ms late and later on a loaded
// machine, the telemetry interval (0.7 ms) is clamped to 1 ms, and a generation is paced in 2 ms tokens (≈ 2.9 trace
// s steps, capped at the sim's 24 words ≈ 66 trace s). A millisecond of scheduling delay reads as 1.4 trace seconds,
// so cold-start seconds are measured (start → ready, real ms × COMPRESSION) and also given nominal (sum of the load
// seconds of the starts), and the client's lateness against the trace is reported.
import { Agent, request } from 'node:http'
import { register } from 'tsx/esm/api'
import { dayTrace, GPU_RESERVED_MIB, GPU_TOTAL_MIB, loadSeconds, MODELS, SEED, SIM_TO_REAL } from './lib/day.js'
import { oursBackends } from './lib/ours-planner.js'
import { lruPolicy, swapPolicy } from './lib/policies.js'
import { policyAdmission } from './lib/policy-admission.js'
import { percentile } from './lib/replay.js'
import { simBackend } from './lib/sim-backend.js'
import { Workstation } from './lib/workstation.js'
import { benchStore, trueFootprint, wsDeployments } from './lib/ws-deployments.js'
import { GiB } from '../test/sim/vllm/memory.js'

register()
const { GatewayServer } = await import('../src/main/core/gateway/gateway-server.ts')
const { plannedBackends } = await import('../src/main/core/planner/planner-backends.ts')
const { autoNeed } = await import('../src/main/core/planner/need.ts')
const { utilizationForGpus } = await import('../src/main/core/planner/utilization.ts')
const { silentLogger } = await import('../src/main/core/logging/logger.ts')

const COMPRESSION = Number(process.env.PLANNER_GATEWAY_COMPRESSION ?? 1440)
const TOKENS_PER_S = 500
const IDLE_MINUTES = 15
const GPU_NAME = 'NVIDIA GeForce RTX 4090'
const C = COMPRESSION
/** e.g. "ours:1,lru:2": run only these (debugging). */
const ONLY = process.env.PLANNER_GATEWAY_ONLY?.split(',')
/** Host RAM free for level-1 sleep (a 64 GiB workstation; bench/planner.js's). */
const HOST_FREE = 32 * GiB
const round1 = (/** @type {number} */ x) => Math.round(x * 10) / 10

/** SleepPark's warnings (a failed sleep or wake) counted by message. @param {any} logger @param {Record<string, number>} into */
const countingLogger = (logger, into) =>
  Object.assign(Object.create(logger), {
    warn: (/** @type {{ err?: Error }} */ o, /** @type {string} */ msg) => {
      const k = `${msg}${
        o?.err
          ? `: ${String(o.err.message)
              .replace(/http:\/\/127.0.0.1:\d+/g, '…')
              .slice(0, 160)}`
          : ''
      }`
      into[k] = (into[k] ?? 0) + 1
    },
  })
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms))

/** @type {import('./lib/workstation.js').WsModel[]} */
const wsModels = MODELS.map((m) => ({
  id: m.id,
  w: m.w,
  layers: m.layers,
  kv: m.kv,
  dim: m.dim,
  hidden: m.hidden,
  maxModelLen: m.ctx ?? 8192,
  alwaysOn: m.alwaysOn,
  loadSeconds: loadSeconds(m),
  sequences: m.seqs,
}))
const trace = dayTrace()

/** The utilization the planner computes for each model from its learned footprint (also LRU's and swap's). */
async function plannedUtilization(/** @type {number} */ totalBytes) {
  /** @type {Map<string, number>} */
  const out = new Map()
  for (const m of wsModels) {
    const f = trueFootprint(m, totalBytes)
    const a = autoNeed({
      fixedBytesPerGpu: f.fixedBytesPerGpu,
      kvBytesPerToken: f.kvBytesPerToken,
      maxModelLen: m.maxModelLen,
      contextTokens: null,
      sequences: m.sequences ?? null,
      defaults: { contextTokens: 8192, sequences: 4 },
    })
    out.set(
      m.id,
      /** @type {{ utilization: number }} */ (utilizationForGpus([totalBytes], { fixedBytes: f.fixedBytesPerGpu, kvBytes: a.kvBytes })[0])
        .utilization,
    )
  }
  return out
}

/** A chat seed whose natural answer is the sim's longest (24 words), so max_tokens alone sets the generation time. */
async function longSeed() {
  const b = await simBackend({ names: ['probe'], tokensPerS: 1e6, ttftMs: 0 })
  let best = { seed: 0, n: 0 }
  for (let seed = 0; seed < 300 && best.n < 24; seed++) {
    const res = await fetch(`${b.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'probe', messages: [{ role: 'user', content: 'Hello' }], seed }),
    })
    const n = (await res.json()).usage.completion_tokens
    if (n > best.n) best = { seed, n }
  }
  await b.close()
  return best
}

/** @param {Agent} agent @param {number} port @param {string} body @param {number} n */
function post(agent, port, body, n) {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/chat/completions',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-bench-n': String(n) },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        res.on('error', (e) => resolve({ status: 0, text: String(e) }))
      },
    )
    req.on('error', (e) => resolve({ status: 0, text: String(e) }))
    req.end(body)
  })
}

/**
 * One day through the gateway. @param {'ours' | 'ours+sleep' | 'lru' | 'swap'} name @param {number} gpus
 * @param {Map<string, number>} utilization @param {{ seed: number, n: number }} words
 */
async function run(name, gpus, utilization, words) {
  /** @type {Map<number, number>} */
  const upstreamAt = new Map()
  const sleepy = name === 'ours+sleep'
  const ws = new Workstation({
    gpus,
    sleepMode: sleepy,
    hostFreeBytes: HOST_FREE,
    totalMiB: GPU_TOTAL_MIB,
    reservedMiB: GPU_RESERVED_MIB,
    models: wsModels,
    compression: C,
    idleMinutes: IDLE_MINUTES / C,
    tokensPerS: TOKENS_PER_S,
    onUpstream: (n, at) => void (upstreamAt.has(n) || upstreamAt.set(n, at)),
  })
  const store = benchStore(wsModels)
  const deployments = wsDeployments(ws, { sleepMode: sleepy ? 'auto' : 'off' })
  const logger = silentLogger()
  /** @type {InstanceType<typeof GatewayServer> | null} */
  let gw = null
  const gwOf = () => /** @type {InstanceType<typeof GatewayServer>} */ (gw)
  const traffic = {
    traffic: (/** @type {string} */ id) => gwOf().traffic(id),
    onChange: (/** @type {() => void} */ fn) => gwOf().onActivity(fn),
  }
  /** @type {{ dispose(): void } | null} */
  let planner = null
  /** @type {{ dispose(): void } | null} */
  let ours = null
  let backends
  /** @type {Record<string, any>} */
  const sl = { sleeps: { level1: 0, level2: 0 }, wakes: { level1: 0, level2: 0 }, wakeMs: 0, wakeSecondsNominal: 0, warned: {} }
  if (name === 'ours' || name === 'ours+sleep') {
    const o = await oursBackends({
      ws,
      deployments,
      store,
      traffic,
      logger: name === 'ours' ? logger : countingLogger(logger, sl.warned),
      gpuName: GPU_NAME,
      compression: C,
      idleMinutes: IDLE_MINUTES / C,
      sleep: name === 'ours+sleep',
      onSleep: (id, e) => {
        const w = /** @type {import('./lib/workstation.js').WsModel} */ (ws.models.get(id)).w
        if (e.event === 'asleep') return void sl.sleeps[`level${e.level}`]++
        sl.wakes[`level${e.level}`]++
        sl.wakeMs += e.wallSeconds * 1000
        sl.wakeSecondsNominal += e.level === 1 ? (0.07 + 0.03 * w) * SIM_TO_REAL : (0.19 + 0.04 * w) * SIM_TO_REAL
      },
    })
    planner = o.planner
    backends = o.backends
    ours = o
  } else {
    const policy = name === 'lru' ? lruPolicy() : swapPolicy()
    const admission = policyAdmission({
      policy,
      ws,
      traffic: {
        inFlight: (id) => gwOf().traffic(id).inFlight,
        lastUsedAt: (id) => gwOf().traffic(id).lastUsedAt,
        onChange: traffic.onChange,
      },
      utilization,
      waitLimitMs: 600_000 / C,
    })
    backends = plannedBackends({
      inner: /** @type {any} */ (ws.backends),
      planner: admission,
      traffic: { inFlight: (id) => gwOf().traffic(id).inFlight },
      logger: /** @type {any} */ (logger),
    })
  }
  let idleUnloads = 0
  let idleSleeps = 0
  const asleep = (/** @type {string} */ id) => backends.list().find((b) => b.id === id)?.state === 'sleeping'
  const outer = {
    ...backends,
    stop: async (/** @type {string} */ id, /** @type {'idle' | 'manual'} */ reason) => {
      idleUnloads++
      await backends.stop(id, reason)
      if (asleep(id)) idleSleeps++
    },
  }
  gw = new GatewayServer({
    backends: outer,
    keys: { verify: () => null },
    logger,
    options: { port: 0, host: '127.0.0.1', maxWaitMs: 600_000 / C },
  })
  const started = await gw.start()
  if (!started.ok) throw new Error(started.error.message)
  // The always-on model starts with the gateway; the day begins once it is up.
  const embed = /** @type {string} */ (wsModels.find((m) => m.alwaysOn)?.id)
  await new Promise((resolve) => {
    if (ws.runs.get(embed)?.state === 'ready') return resolve(undefined)
    const sub = ws.onChange(() => ws.runs.get(embed)?.state === 'ready' && (sub.dispose(), resolve(undefined)))
  })
  Object.assign(ws.log, { starts: [], stops: [], failures: [] })
  idleUnloads = 0
  idleSleeps = 0

  const agent = new Agent({ keepAlive: true, maxSockets: Infinity })
  const port = gw.port
  /** @type {Array<{ n: number, sentAt: number, late: number, status: number, text: string }>} */
  const results = []
  /** @type {Promise<void>[]} */
  const inFlight = []
  const t0 = performance.now() + 20
  for (const q of trace) {
    const due = t0 + (q.at * 1000) / C
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    const tokens = Math.min(words.n, 1 + Math.round((q.duration * 1000 * TOKENS_PER_S) / C / 1000))
    const body = JSON.stringify({ model: q.model, messages: [{ role: 'user', content: 'Hello' }], max_tokens: tokens, seed: words.seed })
    const sentAt = performance.now()
    inFlight.push(
      post(agent, port, body, q.n).then((/** @type {any} */ r) => void results.push({ n: q.n, sentAt, late: sentAt - due, ...r })),
    )
  }
  await Promise.all(inFlight)
  const seconds = (performance.now() - t0) / 1000
  const held = results
    .filter((r) => r.status === 200 && upstreamAt.has(r.n))
    .map((r) => /** @type {number} */ ((upstreamAt.get(r.n) - r.sentAt) * C) / 1000)
  const failed = results.filter((r) => r.status !== 200)
  /** @type {Record<string, number>} */
  const why = {}
  for (const f of failed) {
    const code = /** @type {string} */ (f.text.match(/"code":"([^"]+)"/)?.[1] ?? `HTTP ${f.status}`)
    why[code] = (why[code] ?? 0) + 1
  }
  const starts = ws.log.starts
  const out = {
    coldStarts: starts.length,
    coldStartSeconds: Math.round((starts.reduce((s, x) => s + x.ms, 0) * C) / 1000),
    coldStartSecondsNominal: Math.round(
      starts.filter((x) => x.ok).reduce((s, x) => s + /** @type {number} */ (ws.models.get(x.id)?.loadSeconds), 0),
    ),
    failedStarts: starts.filter((x) => !x.ok).length,
    heldP95Seconds: round1(percentile(held, 95)),
    heldMaxSeconds: round1(Math.max(0, ...held)),
    requests: results.length,
    requestsFailed: failed.length,
    failedBy: why,
    evictions: ws.log.stops.length - (idleUnloads - idleSleeps),
    idleUnloads,
    ...(sleepy
      ? {
          idleSleeps,
          evictionSleeps: sl.sleeps.level1 + sl.sleeps.level2 - idleSleeps,
          sleeps: sl.sleeps,
          wakes: sl.wakes,
          wakeSeconds: Math.round((sl.wakeMs * C) / 1000),
          wakeSecondsNominal: Math.round(sl.wakeSecondsNominal),
          warnings: sl.warned,
        }
      : {}),
    firstStartFailure: ws.log.failures[0] ?? null,
    clientLateMs: {
      p95: round1(
        percentile(
          results.map((r) => r.late),
          95,
        ),
      ),
      max: round1(Math.max(...results.map((r) => r.late))),
    },
    realSeconds: round1(seconds),
  }
  if (process.env.PLANNER_GATEWAY_DEBUG && planner)
    process.stderr.write(JSON.stringify(/** @type {any} */ (planner).log(Number(process.env.PLANNER_GATEWAY_DEBUG) || 30), null, 1) + '\n')
  agent.destroy()
  await gw.dispose()
  planner?.dispose()
  ours?.dispose()
  await ws.close()
  store.remove()
  return out
}

const tStart = performance.now()
const words = await longSeed()
const totalBytes = (GPU_TOTAL_MIB - GPU_RESERVED_MIB) * 1024 ** 2
const utilization = await plannedUtilization(totalBytes)
/** @type {Record<string, any>} */
const out = {
  what: `the 24 h trace of bench/planner.js through the real gateway at ${C}× (virtual workstation, simulated vLLM servers); see bench/planner-gateway.js`,
  seed: SEED,
  requests: trace.length,
  compression: C,
  idleMinutes: IDLE_MINUTES,
  models: wsModels.map((m) => ({
    id: m.id,
    utilization: utilization.get(m.id),
    gib: Math.round((Math.ceil(totalBytes * /** @type {number} */ (utilization.get(m.id))) / 1024 ** 3) * 100) / 100,
    loadSeconds: m.loadSeconds,
    alwaysOn: m.alwaysOn,
  })),
}
for (const n of [1, 2]) {
  /** @type {Record<string, any>} */
  const row = {}
  for (const name of /** @type {const} */ (['ours', 'ours+sleep', 'lru', 'swap'])) {
    if (ONLY && !ONLY.includes(`${name}:${n}`)) continue
    row[name] = await run(name, n, utilization, words)
  }
  const lru = row.lru
  const less = (/** @type {number} */ x, /** @type {number} */ y) => round1((1 - x / y) * 100)
  // Cold-start seconds against plain LRU's; with sleep, wake seconds count as cold-start seconds too (bench/planner.js).
  const goal = (/** @type {any} */ r) => {
    const pct = less(r.coldStartSeconds + (r.wakeSeconds ?? 0), lru.coldStartSeconds)
    return {
      lessThanLruPct: pct,
      lessThanLruPctNominal: less(r.coldStartSecondsNominal + (r.wakeSecondsNominal ?? 0), lru.coldStartSecondsNominal),
      failed: r.requestsFailed,
      met: pct >= 30 && r.requestsFailed === 0,
    }
  }
  if (lru && (row.ours || row['ours+sleep']))
    row.goal = {
      goal: '≥ 30 % fewer cold-start seconds (wakes counted) than plain LRU, 0 failed',
      ...(row.ours ? { ours: goal(row.ours) } : {}),
      ...(row['ours+sleep'] ? { 'ours+sleep': goal(row['ours+sleep']) } : {}),
    }
  out[`gpus${n}`] = row
}
out.seconds = Math.round((performance.now() - tStart) / 1000)
process.stdout.write(`${JSON.stringify(out)}\n`)
