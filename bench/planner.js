#!/usr/bin/env node
// @ts-check
// The memory planner's benchmark (issue #16), reduced: ONE JSON line. A deterministic 24-hour trace (bursty, six
// models of different sizes, one of them an always-on embedding model) is replayed on a simulated clock (bench/lib/
// replay.js; a day takes well under a second) on 1 and 2 simulated RTX 4090s, for six policies (bench/lib/
// policies.js): ours = the app's real pure planner (planPlacement → planEviction) with no request history and no
// sleep (the app for deployments with sleep mode off), ours+rates = the same with request history (evict.ts's Poisson
// "needed soon"), ours+sleep = ours offered vLLM sleep (level 1/2) for every model — what the app does when every
// deployment has sleep mode 'auto' (gpu-view passes sleep information, no request history) — ours+rates+sleep = both,
// plain LRU with stop-all discovery, and one-model-at-a-time swapping (llama-swap's default).
//
// What it measures: the policies' decisions, not real containers. Each model's memory is the planner's own need
// (autoNeed + utilizationForGpus, 4 × 8192 tokens of KV) over the simulated vLLM's arithmetic (test/sim/vllm/
// memory.js planMemory: weights + activation + non-torch + graphs); its load seconds are the simulated vLLM's startup
// timeline (test/sim/vllm/startup.js phases, ≈2–2.6 s at INFERADMIN_SIM_SPEED=1) × 20, which puts small models at
// 40–52 s, the range measured for restarts on an A100 (gateway-facts §1.6: 37.6–58.1 s). Accounting: replay.js header.
// bench/planner-gateway.js replays the same day (bench/lib/day.js) through the real gateway and planner.
import { register } from 'tsx/esm/api'
import { dayTrace, kvBytesPerToken, loadSeconds, MODELS, SEED, SIM_TO_REAL, TOTAL } from './lib/day.js'
import { replay } from './lib/replay.js'
import { lruPolicy, oursPolicy, swapPolicy } from './lib/policies.js'
import { GiB } from '../test/sim/vllm/memory.js'
import { planModel } from './lib/plan-model.js'

register()
const { planPlacement } = await import('../src/main/core/planner/placement.ts')
const { autoNeed } = await import('../src/main/core/planner/need.ts')
const { utilizationForGpus } = await import('../src/main/core/planner/utilization.ts')

/** Pinned host RAM free for level-1 sleep (a 64 GiB workstation). */
const HOST_FREE = 32 * GiB
const round1 = (/** @type {number} */ x) => Math.round(x * 10) / 10

const specs = MODELS.map((m) => {
  const kv = autoNeed({
    fixedBytesPerGpu: 0,
    kvBytesPerToken: kvBytesPerToken(m),
    maxModelLen: m.ctx ?? null,
    contextTokens: m.ctx ?? null,
    sequences: m.seqs ?? null,
    defaults: { contextTokens: 8192, sequences: 4 },
  }).kvBytes
  const p = planModel(m, { requestedBytes: TOTAL, maxModelLen: m.ctx ?? 8192, kvCacheMemoryBytes: kv })
  const fixedBytes = p.allocatedBytes - p.kvBytes
  const bytesPerGpu = utilizationForGpus([TOTAL], { fixedBytes, kvBytes: kv })[0].requestedBytes
  // sleep.js: asleep it keeps activation + non-torch + graphs; a level-1 wake copies the weights back (0.07 + 0.03 s/GiB),
  // a level-2 wake reloads them from disk (0.17 + 0.04 s/GiB); same × 20 as the start.
  const sleep = {
    keepsBytesPerGpu: p.allocatedBytes - p.kvBytes - p.weightBytes,
    hostBytes: p.weightBytes,
    level1WakeSeconds: round1((0.07 + 0.03 * m.w) * SIM_TO_REAL),
    level2WakeSeconds: round1((0.17 + 0.04 * m.w) * SIM_TO_REAL),
  }
  return { id: m.id, bytesPerGpu, loadSeconds: loadSeconds(m), alwaysOn: m.alwaysOn, sleep }
})

const trace = dayTrace()

const policies = () => [
  { policy: oursPolicy({ planPlacement }), refuseAfterSeconds: 600 },
  { policy: oursPolicy({ planPlacement, requestHistory: true, name: 'ours+rates' }), refuseAfterSeconds: 600 },
  { policy: oursPolicy({ planPlacement, sleep: true, name: 'ours+sleep' }), refuseAfterSeconds: 600 },
  { policy: oursPolicy({ planPlacement, requestHistory: true, sleep: true, name: 'ours+rates+sleep' }), refuseAfterSeconds: 600 },
  { policy: lruPolicy() },
  { policy: swapPolicy() },
]

/** @type {Record<string, any>} */
const out = {
  what: 'simulated 24 h replay of the planner decisions (not real containers); see bench/planner.js',
  seed: SEED,
  requests: trace.length,
  models: specs.map((s) => ({
    id: s.id,
    gib: Math.round((s.bytesPerGpu / GiB) * 100) / 100,
    loadSeconds: s.loadSeconds,
    alwaysOn: s.alwaysOn,
    asleepGib: Math.round((s.sleep.keepsBytesPerGpu / GiB) * 100) / 100,
    wakeSeconds: [s.sleep.level1WakeSeconds, s.sleep.level2WakeSeconds],
  })),
}
for (const n of [1, 2]) {
  const gpus = Array.from({ length: n }, (_, index) => ({ index, totalBytes: TOTAL }))
  /** @type {Record<string, any>} */
  const row = {}
  for (const { policy, refuseAfterSeconds } of policies()) {
    const r = replay({ trace, models: specs, gpus, policy, refuseAfterSeconds, hostFreeBytes: HOST_FREE })
    row[policy.name] = r
  }
  // Cold-start seconds against plain LRU's; with sleep, wake seconds count as cold-start seconds too.
  const lru = row.lru.coldStartSeconds
  const goal = (/** @type {any} */ r) => {
    const less = Math.round((1 - (r.coldStartSeconds + r.wakeSeconds) / lru) * 1000) / 10
    return { lessThanLruPct: less, failed: r.requestsFailed, met: less >= 30 && r.requestsFailed === 0 }
  }
  row.goal = { ours: goal(row.ours), 'ours+sleep': goal(row['ours+sleep']), 'ours+rates+sleep': goal(row['ours+rates+sleep']) }
  out[`gpus${n}`] = row
}
process.stdout.write(JSON.stringify(out) + '\n')
