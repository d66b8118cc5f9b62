#!/usr/bin/env node
// @ts-check
// The gateway's benchmarks (issue #15), ONE JSON line:
// 1. overhead: p50/p99 latency of non-streaming chat requests and TTFT of streaming ones, at concurrency 1 and 64,
//    direct to the simulated vLLM vs through the GatewayServer vs through nginx, all on the same backend process in
//    one run (interleaved rounds, so a noisy neighbour hurts all three alike); added latency (proxy − direct),
//    gateway/nginx ratios of it and throughput ÷ direct, against the goals (reported, never asserted);
// 2. hand-off: ms from the backend's first successful /health answer to the held request reaching it;
// 3. 20 concurrent requests on a cold model: start() calls and the time to the first answer.
// Client (this process), backend and gateway are separate processes, as in the app; nginx runs one worker.
import { spawn, spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { register } from 'tsx/esm/api'
import { coldBurst, handOff } from './lib/cold-start.js'
import { runLoad } from './lib/load.js'
import { findNginx, startNginx } from './lib/nginx.js'
import { added, addedLatencyGoal, goal, percentile, ratio, round2, summarize } from './lib/stats.js'

register()
const lib = join(new URL('.', import.meta.url).pathname, 'lib')
const MODEL = 'qwen'
/** The simulated vLLM's pace: TTFT ~1 ms, then 1 ms per token; 4 tokens → ~5 ms a request. */
const BACKEND = { names: [MODEL], ttftMs: 1, tokensPerS: 1000 }
const MAX_TOKENS = 4
/** Requests per target per round; ROUNDS rounds, the targets' order rotating each round. */
const SCENARIOS = [
  { key: 'c1', concurrency: 1, perRound: 100 },
  { key: 'c64', concurrency: 64, perRound: 640 },
]
const ROUNDS = 3
const chat = (/** @type {boolean} */ stream) => ({
  model: MODEL,
  messages: [{ role: 'user', content: 'Hello there' }],
  max_tokens: MAX_TOKENS,
  ...(stream ? { stream: true } : {}),
})

/**
 * A child process that prints `{"url": …}` on its first line.
 * @param {string[]} args @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
function child(args) {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((r) => proc.once('exit', r))
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
    await exited
  }
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: /** @type {import('node:stream').Readable} */ (proc.stdout) })
    lines.once('line', (l) => resolve({ url: JSON.parse(l).url, stop }))
    proc.once('exit', (c) => reject(new Error(`${args[0]} exited with ${c} before it listened`)))
  })
}

/** @param {Record<string, string>} targets @param {number} concurrency @param {number} perRound @param {boolean} stream */
async function measure(targets, concurrency, perRound, stream) {
  const names = Object.keys(targets)
  /** @type {Record<string, { ms: number[], seconds: number, total: number, errors: string[] }>} */
  const acc = Object.fromEntries(names.map((n) => [n, { ms: [], seconds: 0, total: 0, errors: [] }]))
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = /** @type {string} */ (names[(i + round) % names.length])
      const path = `${targets[name]}/v1/chat/completions`
      const r = await runLoad({ url: path, body: chat(stream), concurrency, total: perRound })
      const a = /** @type {(typeof acc)[string]} */ (acc[name])
      a.ms.push(...(stream ? r.ttfts : r.latencies))
      a.seconds += r.seconds
      a.total += perRound
      a.errors.push(...r.errors)
    }
  }
  const out = Object.fromEntries(
    names.map((n) => {
      const a = /** @type {(typeof acc)[string]} */ (acc[n])
      const errors = a.errors.length ? { errors: a.errors.length, firstError: a.errors[0] } : {}
      return [n, { ...summarize(a.ms), rps: Math.round(a.total / a.seconds), ...errors }]
    }),
  )
  const direct = out.direct
  /** @type {Record<string, unknown>} */
  const figures = { ...out }
  const addedMs = Object.fromEntries(names.filter((n) => n !== 'direct').map((n) => [n, added(out[n], direct)]))
  figures.addedMs = addedMs
  figures.throughputVsDirect = Object.fromEntries(names.filter((n) => n !== 'direct').map((n) => [n, ratio(out[n].rps, direct.rps)]))
  if (addedMs.nginx) {
    figures.gatewayToNginxAdded = {
      p50: ratio(addedMs.gateway.p50, addedMs.nginx.p50),
      p99: ratio(addedMs.gateway.p99, addedMs.nginx.p99),
    }
  }
  return figures
}

/**
 * The three targets on one backend (a child process started by `backendArgs`), warmed up, then measured.
 * @param {string[]} backendArgs @param {string | null} nginxBin
 */
async function suite(backendArgs, nginxBin) {
  const backend = await child(backendArgs)
  /** @type {(() => Promise<void>)[]} */
  const cleanup = [backend.stop]
  try {
    const gateway = await child([join(lib, 'gateway-child.js'), backend.url, MODEL])
    cleanup.unshift(gateway.stop)
    /** @type {Record<string, string>} */
    const targets = { direct: backend.url, gateway: gateway.url }
    if (nginxBin) {
      const ng = await startNginx(nginxBin, backend.url)
      cleanup.unshift(ng.stop)
      targets.nginx = ng.url
    }
    // warm-up (JIT, connection pools) outside the figures
    for (const url of Object.values(targets)) {
      for (const stream of [false, true])
        await runLoad({ url: `${url}/v1/chat/completions`, body: chat(stream), concurrency: 64, total: 640 })
    }
    /** @type {Record<string, Record<string, Record<string, any>>>} */
    const out = {}
    for (const s of SCENARIOS) {
      out[s.key] = {
        latency: await measure(targets, s.concurrency, s.perRound, false),
        ttft: await measure(targets, s.concurrency, s.perRound, true),
      }
    }
    return out
  } finally {
    for (const stop of cleanup) await stop()
  }
}

const t0 = performance.now()
const nginxBin = findNginx()
const nginxVersion = nginxBin ? spawnSync(nginxBin, ['-v'], { encoding: 'utf8' }).stderr.trim() : null // nginx -v writes to stderr
/** @type {Record<string, Record<string, Record<string, Record<string, any>>>>} */
const overhead = {
  paced: await suite([join(lib, 'sim-backend.js'), JSON.stringify(BACKEND)], nginxBin),
  instant: await suite([join(lib, 'instant-backend.js'), MODEL], nginxBin),
}

/** @type {Record<string, { value: number | null, met: boolean | null }>} */
const latencyCases = {}
/** @type {Record<string, { value: number | null, met: boolean | null }>} */
const throughputCases = {}
for (const [bk, b] of Object.entries(overhead)) {
  for (const [sk, s] of Object.entries(b)) {
    for (const [mk, m] of Object.entries(s)) {
      // at concurrency 1, requests/s is 1 ÷ latency, which the latency goal covers: throughput is judged at 64
      if (sk !== 'c1') {
        const t = goal('≥ 0.95× direct', m.throughputVsDirect.gateway, 'atLeast', 0.95)
        throughputCases[`${bk}.${sk}.${mk}`] = { value: t.value, met: t.met }
      }
      if (!m.addedMs.nginx) continue
      for (const p of /** @type {const} */ (['p50', 'p99'])) {
        const g = addedLatencyGoal(m.addedMs.gateway[p], m.addedMs.nginx[p], 1.2)
        latencyCases[`${bk}.${sk}.${mk}.${p}`] = { value: g.value, met: g.met }
      }
    }
  }
}
const tally = (/** @type {Record<string, { met: boolean | null }>} */ c) =>
  `${Object.values(c).filter((x) => x.met).length} of ${Object.keys(c).length} met`
const goals = {
  addedLatency: nginxBin
    ? { goal: "gateway's added latency ≤ 1.2× nginx's (value: the ratio)", met: tally(latencyCases), cases: latencyCases }
    : { goal: "gateway's added latency ≤ 1.2× nginx's", met: null, why: 'nginx not installed: apt-get install nginx' },
  throughput: {
    goal: 'gateway requests/s ≥ 0.95× direct at concurrency 64 (value: the ratio)',
    met: tally(throughputCases),
    cases: throughputCases,
  },
}

const handOffMs = await handOff({ trials: 20, loadMs: 50, body: chat })
const handOffMax = round2(Math.max(...handOffMs))
const burst = await coldBurst({ n: 20, loadMs: 1000, body: chat(false) })

const result = {
  machine: { cpus: availableParallelism(), node: process.version, nginx: nginxVersion, gpu: 'none needed: the backends are simulated' },
  backends: {
    paced: { ...BACKEND, maxTokens: MAX_TOKENS, what: 'the simulated vLLM (test/sim/vllm), its own process; ~5 ms a request' },
    instant: { what: 'fake-vllm.fixture.ts, its own process: answers at once, no timers' },
  },
  overhead: {
    ...overhead,
    rounds: ROUNDS,
    legend: 'latency: non-streaming, ms to the end of the answer; ttft: streaming, ms to the first chunk with content; rps: requests/s',
  },
  ...(nginxBin ? {} : { nginx: 'not installed: apt-get install nginx' }),
  goals,
  handOff: {
    trials: handOffMs.length,
    p50Ms: round2(percentile(handOffMs, 50)),
    maxMs: handOffMax,
    goal: goal('≤ 100 ms from the first healthy answer to the request upstream (worst trial)', handOffMax, 'atMost', 100),
  },
  coldBurst: {
    requests: 20,
    simulatedLoadMs: 1000,
    starts: burst.starts,
    answered200: burst.ok,
    statuses: burst.statuses,
    readyAfterMs: round2(burst.readyMs),
    firstAnswerMs: round2(burst.firstAnswerMs),
    lastAnswerMs: round2(burst.lastAnswerMs),
    firstAnswerAfterReadyMs: round2(burst.firstAnswerAfterReadyMs),
    goal: { goal: 'exactly 1 start for 20 concurrent requests', value: burst.starts, met: burst.starts === 1 },
  },
  seconds: Math.round((performance.now() - t0) / 100) / 10,
}
process.stdout.write(`${JSON.stringify(result)}\n`)
