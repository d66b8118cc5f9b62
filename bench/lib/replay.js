// @ts-check
/**
 * A discrete-event replay of a request trace against a start/stop policy (pure: a simulated clock, no sleeps).
 * The gateway's rules are the same for every policy: a request for a ready model is served at once; otherwise it is
 * held while the policy decides to start the model (stopping others), to wait (for requests to drain or a start on
 * the same GPU to finish: vLLM profiles memory assuming nobody else changes it), or to refuse (the requests fail).
 * A held request fails after `holdLimitSeconds` (the gateway's maxWait, 600 s); a policy may refuse earlier.
 *
 * Accounting: a cold start is a start a held request caused (the always-on model started at t = 0 is not one);
 * cold-start seconds sum those starts' load seconds; time held is arrival → sent to the ready model (0 when warm);
 * an eviction is a model the policy stopped or put to sleep to make room; stops and the hand-off take no time.
 * A policy may put a model that supports it to sleep instead (vLLM sleep mode: level 1 keeps the weights in pinned
 * host RAM, level 2 drops them): it keeps `sleep.keepsBytesPerGpu` on its GPU and a request wakes it in the level's
 * wake seconds — counted as wakes and wake seconds, not as cold starts.
 */

/**
 * @typedef {{ keepsBytesPerGpu: number, hostBytes: number, level1WakeSeconds: number, level2WakeSeconds: number }} SleepSpec
 * @typedef {{ id: string, bytesPerGpu: number, loadSeconds: number, alwaysOn: boolean, sleep?: SleepSpec | null }} ModelSpec
 * @typedef {{ index: number, totalBytes: number }} Gpu
 * @typedef {{ spec: ModelSpec, state: 'stopped' | 'loading' | 'running' | 'sleeping' | 'waking',
 *   level: 1 | 2 | null, gpus: number[], inFlight: number,
 *   lastUsedAt: number | null, requestTimes: number[], starts: number, waitingSince: number | null }} ModelState
 * @typedef {{ now: number, gpus: readonly Gpu[], models: ReadonlyMap<string, ModelState>, hostFreeBytes: number }} World
 * @typedef {{ kind: 'start', gpus: number[], evict: string[], sleep?: Array<{ id: string, level: 1 | 2 }> }
 *   | { kind: 'wait' } | { kind: 'refuse', why: string }} Decision
 * @typedef {{ name: string, decide: (w: World, id: string) => Decision }} Policy
 * @typedef {{ coldStarts: number, coldStartSeconds: number, heldP95Seconds: number, heldMaxSeconds: number,
 *   requests: number, requestsFailed: number, evictions: number, wakes: number, wakeSeconds: number, refusals: string[] }} ReplayResult
 */

/** Nearest-rank percentile. @param {number[]} xs @param {number} p */
export function percentile(xs, p) {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return /** @type {number} */ (s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1])
}

/** Bytes each GPU holds for our models now. @param {World} w @param {number} g */
export function heldOn(w, g) {
  let s = 0
  for (const m of w.models.values()) if (m.state !== 'stopped' && m.gpus.includes(g)) s += heldBy(m)
  return s
}

/** What a model holds per GPU in its state. @param {ModelState} m */
export function heldBy(m) {
  return m.state === 'sleeping' && m.spec.sleep ? m.spec.sleep.keepsBytesPerGpu : m.spec.bytesPerGpu
}

/**
 * @param {{ trace: readonly import('./trace.js').TraceRequest[], models: readonly ModelSpec[], gpus: readonly Gpu[],
 *   policy: Policy, holdLimitSeconds?: number, refuseAfterSeconds?: number, hostFreeBytes?: number }} o
 * @returns {ReplayResult}
 */
export function replay(o) {
  const holdLimit = o.holdLimitSeconds ?? 600
  /** @type {Map<string, ModelState>} */
  const models = new Map(
    o.models.map((spec) => [
      spec.id,
      { spec, state: 'stopped', level: null, gpus: [], inFlight: 0, lastUsedAt: null, requestTimes: [], starts: 0, waitingSince: null },
    ]),
  )
  /** @type {World} */
  const w = { now: 0, gpus: o.gpus, models, hostFreeBytes: o.hostFreeBytes ?? 0 }
  /** Events: [time, seq, kind, payload]; a sorted queue is plenty for a day's trace. */
  /** @type {Array<[number, number, string, any]>} */
  const events = []
  let seq = 0
  const at = (/** @type {number} */ t, /** @type {string} */ kind, /** @type {any} */ p) => {
    const e = /** @type {[number, number, string, any]} */ ([t, seq++, kind, p])
    // seq only grows: an event goes after every event at the same time.
    let i = events.length
    while (i > 0 && /** @type {[number, number, string, any]} */ (events[i - 1])[0] > t) i--
    events.splice(i, 0, e)
  }
  /** @type {Map<string, Array<{ n: number, at: number, duration: number }>>} */
  const held = new Map(o.models.map((m) => [m.id, []]))
  /** @type {number[]} */
  const heldSeconds = []
  /** @type {string[]} */
  const refusals = []
  const r = { coldStarts: 0, coldStartSeconds: 0, requestsFailed: 0, evictions: 0, wakes: 0, wakeSeconds: 0, refusals }
  const serve = (/** @type {ModelState} */ m, /** @type {{ at: number, duration: number }} */ q) => {
    heldSeconds.push(w.now - q.at)
    m.inFlight++
    m.requestTimes.push(w.now * 1000)
    at(w.now + q.duration, 'done', m.spec.id)
  }
  const fail = (/** @type {string} */ id, /** @type {string} */ why) => {
    const q = /** @type {any[]} */ (held.get(id))
    r.requestsFailed += q.length
    if (q.length && r.refusals.length < 5) r.refusals.push(`${Math.round(w.now)} s ${id}: ${why}`)
    held.set(id, [])
    const m = /** @type {ModelState} */ (models.get(id))
    m.waitingSince = null
  }
  const start = (/** @type {ModelState} */ m, /** @type {number[]} */ gpus, /** @type {boolean} */ cold) => {
    if (m.state === 'sleeping' && m.spec.sleep) {
      const s = m.spec.sleep
      const seconds = m.level === 1 ? s.level1WakeSeconds : s.level2WakeSeconds
      if (m.level === 1) w.hostFreeBytes += s.hostBytes
      Object.assign(m, { state: 'waking', level: null, waitingSince: null })
      r.wakes++
      r.wakeSeconds += seconds
      return at(w.now + seconds, 'ready', m.spec.id)
    }
    m.state = 'loading'
    m.gpus = gpus
    m.starts++
    m.waitingSince = null
    if (cold) {
      r.coldStarts++
      r.coldStartSeconds += m.spec.loadSeconds
    }
    at(w.now + m.spec.loadSeconds, 'ready', m.spec.id)
  }
  const admit = () => {
    // Oldest held request first, one decision per model per event.
    const order = [...held.entries()].filter(([, q]) => q.length > 0).sort((a, b) => (a[1][0]?.at ?? 0) - (b[1][0]?.at ?? 0))
    for (const [id] of order) {
      const m = /** @type {ModelState} */ (models.get(id))
      if (m.state !== 'stopped' && m.state !== 'sleeping') continue
      const d = o.policy.decide(w, id)
      if (d.kind === 'refuse') fail(id, d.why)
      else if (d.kind === 'wait') {
        m.waitingSince ??= w.now
        if (o.refuseAfterSeconds !== undefined && w.now - m.waitingSince >= o.refuseAfterSeconds) fail(id, 'waited too long to be admitted')
        else if (o.refuseAfterSeconds !== undefined) at(m.waitingSince + o.refuseAfterSeconds, 'recheck', id)
      } else {
        for (const v of d.evict) {
          const x = /** @type {ModelState} */ (models.get(v))
          if ((x.state !== 'running' && x.state !== 'sleeping') || x.inFlight > 0 || x.spec.alwaysOn || x === m)
            throw new Error(`${o.policy.name} evicted ${v} (${x.state}, ${x.inFlight} in flight)`)
          if (x.state === 'sleeping' && x.level === 1) w.hostFreeBytes += x.spec.sleep?.hostBytes ?? 0
          Object.assign(x, { state: 'stopped', level: null, gpus: [] })
          r.evictions++
        }
        for (const { id: v, level } of d.sleep ?? []) {
          const x = /** @type {ModelState} */ (models.get(v))
          if (x.state !== 'running' || x.inFlight > 0 || x.spec.alwaysOn || !x.spec.sleep)
            throw new Error(`${o.policy.name} put ${v} to sleep (${x.state}, ${x.inFlight} in flight)`)
          if (level === 1) w.hostFreeBytes -= x.spec.sleep.hostBytes
          Object.assign(x, { state: 'sleeping', level })
          r.evictions++
        }
        start(m, d.gpus, true)
      }
    }
  }

  // Always-on models are up when the day starts (on GPU 0).
  for (const spec of o.models)
    if (spec.alwaysOn) Object.assign(/** @type {ModelState} */ (models.get(spec.id)), { state: 'running', gpus: [0], starts: 1 })
  for (const q of o.trace) at(q.at, 'arrive', q)
  while (events.length > 0) {
    const [t, , kind, p] = /** @type {[number, number, string, any]} */ (events.shift())
    w.now = t
    if (kind === 'arrive') {
      const m = models.get(p.model)
      if (!m) throw new Error(`replay: the trace names ${p.model}, which is not a model`)
      if (m.state === 'running') serve(m, p)
      else {
        ;/** @type {any[]} */ (held.get(p.model)).push(p)
        at(t + holdLimit, 'timeout', p)
      }
    } else if (kind === 'ready') {
      const m = /** @type {ModelState} */ (models.get(p))
      m.state = 'running'
      for (const q of /** @type {any[]} */ (held.get(p))) serve(m, q)
      held.set(p, [])
    } else if (kind === 'done') {
      const m = /** @type {ModelState} */ (models.get(p))
      m.inFlight--
      m.lastUsedAt = t * 1000
    } else if (kind === 'timeout') {
      const q = /** @type {any[]} */ (held.get(p.model))
      const i = q.indexOf(p)
      if (i >= 0) {
        q.splice(i, 1)
        r.requestsFailed++
        if (r.refusals.length < 5) r.refusals.push(`${Math.round(t)} s ${p.model}: held ${holdLimit} s`)
      }
    }
    admit()
  }
  return {
    coldStarts: r.coldStarts,
    coldStartSeconds: Math.round(r.coldStartSeconds),
    heldP95Seconds: Math.round(percentile(heldSeconds, 95) * 10) / 10,
    heldMaxSeconds: Math.round(Math.max(0, ...heldSeconds) * 10) / 10,
    requests: o.trace.length,
    requestsFailed: r.requestsFailed,
    evictions: r.evictions,
    wakes: r.wakes,
    wakeSeconds: Math.round(r.wakeSeconds),
    refusals: r.refusals,
  }
}
