// @ts-check
/**
 * Start/stop policies for bench/lib/replay.js (pure). Every policy keeps the same safety rules: the sum of what
 * models hold on a GPU stays ≤ maxFraction × total (vLLM's guidance), no start on a GPU while another one loads
 * there, never stop a model with requests in flight or an always-on one.
 *
 * - lru: plain LRU with stop-all discovery. A model it has never run has an unknown footprint, so it stops every
 *   on-demand model on the GPU with the most room (waiting for their requests) and starts it alone; from then on its
 *   footprint is known and the least recently used idle models are stopped until it fits.
 * - swap: one model at a time (llama-swap's default: a swap group with exclusive: true); the always-on model stays,
 *   as in a llama-swap group with persistent: true.
 * - ours: the app's planner (src/main/core/planner: planPlacement → planEviction, usableBytes), given the same
 *   view the PlannerService builds from telemetry, with its serialisation rule; its refusals after drainLimit are the
 *   replay's refuseAfterSeconds. With `sleep`, models whose spec has one get planEviction's sleep options (level 1
 *   while pinned host RAM holds the weights, else level 2), as evict.ts plans them; the app's gpu-view passes the
 *   same for deployments with sleep mode 'auto' (gpu-view.ts sleepOf), so ours + sleep is the app with sleep on.
 */
import { heldBy, heldOn } from './replay.js'

/** @typedef {import('./replay.js').World} World @typedef {import('./replay.js').ModelState} ModelState */
/** @typedef {import('./replay.js').Decision} Decision @typedef {import('./replay.js').Policy} Policy */

const on = (/** @type {World} */ w, /** @type {number} */ g) =>
  [...w.models.values()].filter((m) => m.state !== 'stopped' && m.gpus.includes(g))
const loadingOn = (/** @type {World} */ w, /** @type {number} */ g) => on(w, g).some((m) => m.state === 'loading' || m.state === 'waking')
const idle = (/** @type {ModelState} */ m) => m.state === 'running' && m.inFlight === 0 && !m.spec.alwaysOn
const room = (/** @type {World} */ w, /** @type {number} */ g, /** @type {number} */ maxFraction) =>
  maxFraction * /** @type {import('./replay.js').Gpu} */ (w.gpus.find((x) => x.index === g)).totalBytes - heldOn(w, g)

/** @param {{ maxFraction?: number }} [o] @returns {Policy} */
export function lruPolicy(o = {}) {
  const maxFraction = o.maxFraction ?? 0.95
  /** @type {Set<string>} */
  const known = new Set()
  return {
    name: 'lru',
    decide(w, id) {
      const need = /** @type {ModelState} */ (w.models.get(id)).spec.bytesPerGpu
      const gpus = w.gpus.map((g) => g.index).filter((g) => !loadingOn(w, g))
      if (gpus.length === 0) return { kind: 'wait' }
      if (!known.has(id)) {
        // Discovery: the GPU with the most room, everything on-demand on it stopped.
        const g = /** @type {number} */ (gpus.sort((a, b) => room(w, b, maxFraction) - room(w, a, maxFraction) || a - b)[0])
        const others = on(w, g).filter((m) => !m.spec.alwaysOn)
        if (others.some((m) => !idle(m))) return { kind: 'wait' }
        known.add(id)
        return { kind: 'start', gpus: [g], evict: others.map((m) => m.spec.id) }
      }
      /** @type {{ g: number, evict: string[] } | null} */
      let best = null
      let drainable = false
      for (const g of gpus) {
        let free = room(w, g, maxFraction)
        const lru = on(w, g)
          .filter(idle)
          .sort((a, b) => (a.lastUsedAt ?? 0) - (b.lastUsedAt ?? 0))
        /** @type {string[]} */
        const evict = []
        for (const m of lru) {
          if (free >= need) break
          free += m.spec.bytesPerGpu
          evict.push(m.spec.id)
        }
        if (free >= need) {
          if (!best || evict.length < best.evict.length) best = { g, evict }
        } else if (
          free +
            on(w, g)
              .filter((m) => !m.spec.alwaysOn && !idle(m))
              .reduce((s, m) => s + m.spec.bytesPerGpu, 0) >=
          need
        )
          drainable = true
      }
      if (best) return { kind: 'start', gpus: [best.g], evict: best.evict }
      if (drainable || gpus.length < w.gpus.length) return { kind: 'wait' }
      return { kind: 'refuse', why: 'does not fit even with every idle model stopped' }
    },
  }
}

/** @returns {Policy} */
export function swapPolicy(o = { maxFraction: 0.95 }) {
  return {
    name: 'swap',
    decide(w, id) {
      const others = [...w.models.values()].filter((m) => m.spec.id !== id && m.state !== 'stopped' && !m.spec.alwaysOn)
      if (others.some((m) => !idle(m))) return { kind: 'wait' }
      const need = /** @type {ModelState} */ (w.models.get(id)).spec.bytesPerGpu
      const after = (/** @type {number} */ g) =>
        room(w, g, o.maxFraction) + others.filter((m) => m.gpus.includes(g)).reduce((s, m) => s + m.spec.bytesPerGpu, 0)
      const g = w.gpus.map((x) => x.index).sort((a, b) => after(b) - after(a) || a - b)[0]
      if (g === undefined || after(g) < need) return { kind: 'refuse', why: 'does not fit beside the always-on model' }
      return { kind: 'start', gpus: [g], evict: others.map((m) => m.spec.id) }
    },
  }
}

/**
 * @typedef {{ planPlacement: typeof import('../../src/main/core/planner/placement').planPlacement }} PlannerFns
 * @param {PlannerFns & { maxFraction?: number, requestHistory?: boolean, sleep?: boolean, name?: string }} o
 * @returns {Policy}
 */
export function oursPolicy(o) {
  const maxFraction = o.maxFraction ?? 0.95
  return {
    name: o.name ?? 'ours',
    decide(w, id) {
      const me = /** @type {ModelState} */ (w.models.get(id))
      // A sleeping model wakes where it sleeps and needs only what it gave back; what it keeps is not evictable.
      const asleep = me.state === 'sleeping'
      const gpus = w.gpus.map((g) => {
        const held = heldOn(w, g.index)
        const keeps = asleep && me.gpus.includes(g.index) ? heldBy(me) : 0
        return { index: g.index, totalBytes: g.totalBytes, freeBytes: g.totalBytes - held, externalBytes: keeps }
      })
      const models = [...w.models.values()]
        .filter((m) => m.state !== 'stopped' && m !== me)
        .map((m) => ({
          id: m.spec.id,
          gpus: m.gpus,
          reservedBytesPerGpu: m.spec.bytesPerGpu,
          state: /** @type {'loading' | 'running' | 'sleeping' | 'waking'} */ (m.state),
          inFlight: m.inFlight,
          alwaysOn: m.spec.alwaysOn,
          lastUsedAt: m.lastUsedAt,
          loadSeconds: m.starts > 0 ? m.spec.loadSeconds : null,
          // The app's gpu-view passes no request history today (requestTimes: []); `requestHistory` turns it on.
          requestTimes: o.requestHistory ? m.requestTimes : [],
          sleep: o.sleep && m.spec.sleep ? { ...m.spec.sleep, ...(m.level ? { level: m.level } : {}) } : null,
        }))
      const placed = o.planPlacement({
        now: w.now * 1000,
        need: { name: id, bytesPerGpu: me.spec.bytesPerGpu - (asleep ? heldBy(me) : 0), count: 1, pinned: asleep ? me.gpus : null },
        gpus,
        models,
        hostRamFreeBytes: w.hostFreeBytes,
        options: { maxFraction },
      })
      const plan = placed.plan
      // PlannerService.decide: a start in progress on a chosen GPU, or busy models to drain → wait.
      if (placed.gpus.some((g) => loadingOn(w, g)) || plan.kind === 'wait') return { kind: 'wait' }
      if (plan.kind === 'cannot-fit') return { kind: 'refuse', why: plan.message }
      const evict = plan.actions.filter((a) => a.kind === 'stop').map((a) => a.modelId)
      const sleep = plan.actions.filter((a) => a.kind === 'sleep').map((a) => ({ id: a.modelId, level: a.level ?? 2 }))
      return { kind: 'start', gpus: placed.gpus, evict, sleep }
    },
  }
}
