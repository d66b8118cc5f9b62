// @ts-check
/**
 * Plain LRU (stop-all discovery) and one-at-a-time swapping as admission objects with the PlannerService's face
 * (admit / started / waitFree), for plannedBackends in place of the planner: bench/lib/policies.js decides, over a
 * World built from the live state (the workstation's runs, the gateway's traffic), exactly as bench/planner.js's
 * replay feeds it. Each model's size is what it holds at the utilization it is started with (the same one the
 * planner computes for it), which LRU learns by its discovery start. Like the planner, admissions run one at a time
 * and a decision to wait waits for the next change; a wait longer than `waitLimitMs` is a refusal. Neither policy
 * reads the telemetry: waitFree returns at once (they trust their own accounting; vLLM's check is the judge).
 */

/** The refusal's fix (the app's refusal.ts names holders; these policies do not track them). */
const FIX = 'Stop a model on that GPU or free memory, then start it again.'

/**
 * @param {{ policy: import('./replay.js').Policy, ws: import('./workstation.js').Workstation,
 *   traffic: { inFlight(id: string): number, lastUsedAt(id: string): number | null, onChange(fn: () => void): { dispose(): void } },
 *   utilization: ReadonlyMap<string, number>, waitLimitMs: number }} o
 */
export function policyAdmission(o) {
  const { ws } = o
  /** @type {Map<string, number[]>} admitted, start not issued yet */
  const pending = new Map()
  /** @type {Map<string, number>} */
  const starts = new Map()
  let queue = /** @type {Promise<unknown>} */ (Promise.resolve())
  const bytesOf = (/** @type {string} */ id) => Math.ceil(ws.totalBytes * /** @type {number} */ (o.utilization.get(id)))

  /** @returns {import('./replay.js').World} */
  const world = () => {
    /** @type {Map<string, import('./replay.js').ModelState>} */
    const models = new Map()
    for (const [id, r] of ws.runs) {
      const m = /** @type {import('./workstation.js').WsModel} */ (ws.models.get(id))
      const p = pending.get(id)
      const state = p
        ? 'loading'
        : r.state === 'ready'
          ? 'running'
          : ['creating', 'starting', 'loading', 'stopping'].includes(r.state)
            ? 'loading'
            : 'stopped'
      models.set(id, {
        spec: { id, bytesPerGpu: bytesOf(id), loadSeconds: m.loadSeconds, alwaysOn: m.alwaysOn },
        state,
        level: null,
        gpus: p ?? r.gpus,
        inFlight: o.traffic.inFlight(id),
        lastUsedAt: o.traffic.lastUsedAt(id),
        requestTimes: [],
        starts: starts.get(id) ?? 0,
        waitingSince: null,
      })
    }
    const gpus = Array.from({ length: ws.o.gpus }, (_, index) => ({ index, totalBytes: ws.totalBytes }))
    return { now: Date.now() / 1000, gpus, models, hostFreeBytes: 0 }
  }

  /** Resolves on the next change of the workstation or the traffic, or after `ms`. @param {number} ms */
  const changed = (ms) =>
    new Promise((resolve) => {
      const done = () => {
        clearTimeout(t)
        a.dispose()
        b.dispose()
        resolve(undefined)
      }
      const t = setTimeout(done, ms)
      const a = ws.onChange(done)
      const b = o.traffic.onChange(done)
    })

  /** @param {string} id @returns {Promise<import('../../src/main/core/planner/planner-service.ts').Admission>} */
  const decide = async (id) => {
    const deadline = performance.now() + o.waitLimitMs
    for (;;) {
      const d = o.policy.decide(world(), id)
      if (d.kind === 'refuse')
        return { kind: 'cannot-fit', message: `Not enough GPU memory to start ${id}: ${d.why}`, retryAfterSeconds: 15, fix: FIX }
      if (d.kind === 'start') {
        const u = /** @type {number} */ (o.utilization.get(id))
        pending.set(id, d.gpus)
        starts.set(id, (starts.get(id) ?? 0) + 1)
        return {
          kind: 'go',
          id,
          gpus: d.gpus,
          gpuUuids: d.gpus.map((g) => `GPU-${g}`),
          args: { '--gpu-memory-utilization': u },
          utilization: u,
          bytesPerGpu: bytesOf(id),
          holdsBytesPerGpu: 0,
          evictions: d.evict.map((modelId) => ({
            kind: /** @type {const} */ ('stop'),
            modelId,
            gpus: d.gpus,
            freesBytesPerGpu: bytesOf(modelId),
            hostBytes: 0,
            expectedCostSeconds: 0,
            reason: `stop ${modelId}`,
          })),
        }
      }
      const left = deadline - performance.now()
      if (left <= 0)
        return { kind: 'cannot-fit', message: `Not enough GPU memory to start ${id}: waited too long`, retryAfterSeconds: 15, fix: FIX }
      await changed(left)
    }
  }

  return {
    /** @param {string} id */
    admit(id) {
      const run = queue.then(() => decide(id))
      queue = run.catch(() => undefined)
      return run
    },
    /** @param {string} id @param {boolean} _ok */
    started(id, _ok) {
      pending.delete(id)
    },
    waitFree: async () => undefined,
  }
}
