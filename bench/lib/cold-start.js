// @ts-check
// Cold starts through a real GatewayServer (in this process, tsx registered by the caller) whose deployment is a
// FakeBackends entry: start() brings the simulated vLLM's HTTP server up after `loadMs`, probes its /health as the
// deployment monitor does, and publishes `ready` through the change event the moment the probe answers 200.
import { Agent } from 'node:http'
import { timedPost } from './load.js'
import { simBackend } from './sim-backend.js'

const NAME = 'qwen'

/**
 * @param {{ loadMs: number }} o
 */
async function coldGateway(o) {
  /** @type {typeof import('../../src/main/core/gateway/gateway-server.ts')} */
  const { GatewayServer } = await import('../../src/main/core/gateway/gateway-server.ts')
  /** @type {typeof import('../../src/main/core/gateway/fake-backends.fixture.ts')} */
  const { FakeBackends, backend } = await import('../../src/main/core/gateway/fake-backends.fixture.ts')
  /** @type {typeof import('../../src/main/core/logging/logger.ts')} */
  const { silentLogger } = await import('../../src/main/core/logging/logger.ts')

  const backends = new FakeBackends([backend('m', { servedNames: [NAME] })])
  /** @type {Awaited<ReturnType<typeof simBackend>> | null} */
  let sim = null
  const t = {
    /** first 200 from /health */ readyAt: /** @type {number | null} */ (null),
    /** first model request at the backend */ upstreamAt: /** @type {number | null} */ (null),
  }
  backends.onStart = (id) => {
    backends.set(id, { state: 'creating' })
    setTimeout(() => void up(id).catch((err) => backends.set(id, { state: 'failed', diagnosis: String(err) })), o.loadMs)
  }
  /** @param {string} id */
  const up = async (id) => {
    sim = await simBackend({ names: [NAME] })
    // 'request' fires once the request head is parsed: for these small requests, the read of the first byte
    sim.server.prependListener('request', (req) => {
      if (req.url !== '/health' && t.readyAt !== null && t.upstreamAt === null) t.upstreamAt = performance.now()
    })
    backends.set(id, { state: 'loading', phase: 'loading weights', progress: 0.9, etaSeconds: 1 })
    const res = await fetch(`${sim.url}/health`)
    await res.arrayBuffer()
    if (!res.ok) throw new Error(`the simulated vLLM's /health answered ${res.status}`)
    t.readyAt = performance.now()
    backends.set(id, { state: 'ready', endpoint: sim.url, phase: undefined, progress: undefined, etaSeconds: undefined })
  }
  const gw = new GatewayServer({ backends, keys: { verify: () => null }, logger: silentLogger(), options: { port: 0, host: '127.0.0.1' } })
  const started = await gw.start()
  if (!started.ok) throw new Error(`${started.error.message} ${started.error.fix}`)
  return {
    url: new URL(`http://127.0.0.1:${gw.port}/v1/chat/completions`),
    backends,
    t,
    /** Back to cold: the deployment stopped, its server gone. */
    async reset() {
      backends.set('m', { state: 'stopped', endpoint: null })
      await sim?.close()
      sim = null
      t.readyAt = null
      t.upstreamAt = null
    },
    async close() {
      await gw.dispose()
      await sim?.close()
    },
  }
}

/**
 * Hand-off: ms from the backend's first successful /health answer to the held request reaching it, over `trials`
 * cold starts (alternately non-streaming and streaming requests).
 * @param {{ trials: number, loadMs: number, body: (stream: boolean) => unknown }} o
 */
export async function handOff(o) {
  const g = await coldGateway({ loadMs: o.loadMs })
  const agent = new Agent({ keepAlive: true })
  /** @type {number[]} */
  const ms = []
  try {
    for (let i = 0; i < o.trials; i++) {
      await g.reset()
      const r = await timedPost(agent, g.url, Buffer.from(JSON.stringify(o.body(i % 2 === 1))))
      if (!r.ok) throw new Error(`a held request answered HTTP ${r.status}`)
      if (g.t.readyAt === null || g.t.upstreamAt === null) throw new Error('the held request never reached the backend')
      ms.push(g.t.upstreamAt - g.t.readyAt)
    }
  } finally {
    agent.destroy()
    await g.close()
  }
  return ms
}

/**
 * `n` concurrent non-streaming requests on a cold model: start() calls, and ms from sending them to the first and
 * last answer (and from ready to the first answer).
 * @param {{ n: number, loadMs: number, body: unknown }} o
 */
export async function coldBurst(o) {
  const g = await coldGateway({ loadMs: o.loadMs })
  const agent = new Agent({ keepAlive: true, maxSockets: o.n })
  try {
    const body = Buffer.from(JSON.stringify(o.body))
    const t0 = performance.now()
    /** @type {number[]} */
    const doneAt = []
    const results = await Promise.all(
      Array.from({ length: o.n }, () => timedPost(agent, g.url, body).then((r) => (doneAt.push(performance.now() - t0), r))),
    )
    const readyMs = g.t.readyAt === null ? null : g.t.readyAt - t0
    const first = Math.min(...doneAt)
    return {
      starts: g.backends.starts.length,
      ok: results.filter((r) => r.ok).length,
      statuses: [...new Set(results.map((r) => r.status))],
      readyMs,
      firstAnswerMs: first,
      lastAnswerMs: Math.max(...doneAt),
      firstAnswerAfterReadyMs: readyMs === null ? null : first - readyMs,
    }
  } finally {
    agent.destroy()
    await g.close()
  }
}
