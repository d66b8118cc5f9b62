// @ts-check
/**
 * The "ours" policies of bench/planner-gateway.js: the app's createPlanner as create-core wires it, over the virtual
 * workstation (bench/lib/workstation.js). Footprints are learned as if each model had been loaded once (the store
 * survives restarts): fixed need, KV per token, load seconds, and the last load's INFO lines (weights, CUDA-graph
 * pool; non-torch is a DEBUG line, so unknown).
 * - ours: the workstation's backends are the planner's inner backends; sleep mode off.
 * - ours+sleep: every deployment has sleep mode 'auto', and the inner backends are the app's deploymentBackends over
 *   the workstation's deployments, with SleepPark's deps as create-core gives them: the server's log lines, host RAM
 *   (the workstation's), and onSleepFacts feeding the footprints as FootprintLearner.recordSleep does (wake seconds —
 *   the log's, else the wall time — × compression, to the trace's clock; kept bytes = what the model held awake less
 *   what vLLM says the sleep freed). Idle unloads park models in vLLM's sleep, admission wakes them.
 * TypeScript modules are imported here, after planner-gateway.js registered tsx.
 */
import { trueFootprint } from './ws-deployments.js'

/**
 * @typedef {{ level: 1 | 2, event: 'asleep' | 'awake', wallSeconds: number, freedBytes: number | null,
 *   wakeSeconds: number | null }} SleepEvent
 */

/**
 * @param {{ ws: import('./workstation.js').Workstation, deployments: any, store: { models: any },
 *   traffic: { traffic(id: string): any, onChange(fn: () => void): { dispose(): void } }, logger: any, gpuName: string,
 *   compression: number, idleMinutes: number, sleep: boolean, onSleep?: (id: string, e: SleepEvent) => void }} o
 */
export async function oursBackends(o) {
  const { createPlanner } = await import('../../src/main/core/planner/create-planner.ts')
  const { deploymentFingerprint } = await import('../../src/main/core/planner/model-files.ts')
  const { emptyFootprint } = await import('../../src/main/core/planner/footprint-lines.ts')
  const { deploymentBackends } = await import('../../src/main/core/gateway/deployment-backends.ts')
  const { ws, compression: C } = o
  const fingerprint = deploymentFingerprint(o.store.models)
  /** @type {Map<string, any>} */
  const learned = new Map()
  /** @type {Map<string, string>} deployment id → footprint key */
  const keyOf = new Map()
  for (const d of o.deployments.list()) {
    const key = await fingerprint(d, [o.gpuName])
    const m = /** @type {import('./workstation.js').WsModel} */ (ws.models.get(d.definition.id))
    const { fixedBytesPerGpu, kvBytesPerToken, weightBytes, graphBytes } = trueFootprint(m, ws.totalBytes)
    if (!key) continue
    keyOf.set(d.definition.id, key)
    learned.set(key, {
      key,
      fixedBytesPerGpu,
      kvBytesPerToken,
      kvCacheBytes: null,
      kvCacheTokens: null,
      measuredBytesPerGpu: null,
      loadSeconds: m.loadSeconds,
      phases: null,
      wakeSeconds: null,
      sleepKeptBytesPerGpu: null,
      loads: 1,
      failures: 0,
      updatedAt: new Date().toISOString(),
      last: {
        ...emptyFootprint(),
        weightsBytes: weightBytes,
        cudaGraphBytes: graphBytes,
        cudaGraphSource: 'measured',
        graphsInBudget: true,
      },
    })
  }
  /** What each model held awake at most (the telemetry's attribution, FootprintLearner.recordMeasured). */
  /** @type {Map<string, number>} */
  const awake = new Map()
  const sub = ws.onChange(() => {
    for (const [id, r] of ws.runs)
      if (r.state === 'ready' && r.server && !r.server.sleeper?.level()) awake.set(id, Math.max(awake.get(id) ?? 0, r.heldBytes))
  })
  /** FootprintLearner.recordSleep + FootprintStore.recordSleep, on the trace's clock. @param {string} id @param {SleepEvent} f */
  const recordSleep = (id, f) => {
    o.onSleep?.(id, f)
    const key = keyOf.get(id)
    const prev = key ? learned.get(key) : undefined
    if (!key || !prev) return
    if (f.event === 'awake') {
      const w = (f.wakeSeconds ?? f.wallSeconds) * C
      const n = prev.wakes ?? (prev.wakeSeconds === null ? 0 : 1)
      learned.set(key, { ...prev, wakeSeconds: ((prev.wakeSeconds ?? 0) * n + w) / (n + 1), wakes: n + 1 })
    } else if (f.freedBytes !== null) {
      const held = awake.get(id) ?? prev.fixedBytesPerGpu + (prev.kvCacheBytes ?? 0)
      learned.set(key, { ...prev, sleepKeptBytesPerGpu: Math.max(0, held - f.freedBytes) })
    }
  }
  const inner = o.sleep
    ? deploymentBackends({
        deployments: o.deployments,
        settings: { get: () => /** @type {any} */ ({ gatewayIdleMinutes: o.idleMinutes }), onChange: () => ({ dispose() {} }) },
        upstreamKey: () => 'bench',
        sleep: {
          logLines: async (id) => ws.logLines(id),
          onSleepFacts: recordSleep,
          hostFreeBytes: () => ws.hostFree(),
          logger: o.logger,
          linesTimeoutMs: 3000 / C,
        },
      })
    : ws.backends
  const p = createPlanner({
    gpu: /** @type {any} */ (ws.gpu),
    deployments: o.deployments,
    models: o.store.models,
    footprints: { get: (key) => learned.get(key) },
    gateway: () => o.traffic,
    inner: /** @type {any} */ (inner),
    logger: o.logger,
    hostFreeBytes: () => ws.hostFree(),
    options: {
      // The app's drain limit is the gateway's hold limit (Settings.gatewayMaxWaitMinutes, 10 min by default).
      drainLimitMs: 600_000 / C,
      freeWaitMs: 20_000 / C,
      reservationGraceMs: 60_000 / C,
      eviction: { horizonSeconds: 600 / C, windowSeconds: 3600 / C },
    },
  })
  return { planner: p.planner, backends: p.backends, inner, dispose: () => sub.dispose() }
}
