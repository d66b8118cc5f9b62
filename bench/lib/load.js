// @ts-check
// The load generator of bench/gateway.js: `total` POSTs of one body with `concurrency` in flight, over keep-alive
// connections (node:http, one agent per run), timing each request from just before it is written.
import { Agent, request } from 'node:http'

/** A content token in an SSE chunk (the role chunk that opens a chat stream has `"content":""`). */
const CONTENT = /"content":"[^"]/

/**
 * One request: latency (ms to the end of the body) and, for a stream, TTFT (ms to the first chunk with content).
 * @param {Agent} agent @param {URL} url @param {Buffer} body
 * @returns {Promise<{ ok: boolean, status: number, latencyMs: number, ttftMs: number | null }>}
 */
export function timedPost(agent, url, body) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    /** @type {number | null} */
    let ttft = null
    let tail = ''
    const req = request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': body.length },
    })
    req.on('response', (res) => {
      res.setEncoding('utf8')
      res.on('data', (/** @type {string} */ chunk) => {
        if (ttft !== null) return
        // a content token may straddle two chunks: keep the end of the previous one
        tail = tail.slice(-16) + chunk
        if (CONTENT.test(tail)) ttft = performance.now() - t0
      })
      res.on('end', () => {
        const status = res.statusCode ?? 0
        resolve({ ok: status === 200, status, latencyMs: performance.now() - t0, ttftMs: ttft })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * @param {{ url: string, body: unknown, concurrency: number, total: number }} o
 * @returns {Promise<{ latencies: number[], ttfts: number[], seconds: number, rps: number, errors: string[] }>}
 */
export async function runLoad(o) {
  const url = new URL(o.url)
  const body = Buffer.from(JSON.stringify(o.body))
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency })
  /** @type {number[]} */
  const latencies = []
  /** @type {number[]} */
  const ttfts = []
  /** @type {string[]} */
  const errors = []
  let issued = 0
  const worker = async () => {
    while (issued < o.total) {
      issued++
      try {
        const r = await timedPost(agent, url, body)
        if (!r.ok) errors.push(`HTTP ${r.status}`)
        latencies.push(r.latencyMs)
        if (r.ttftMs !== null) ttfts.push(r.ttftMs)
      } catch (err) {
        errors.push(/** @type {Error} */ (err).message)
      }
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: o.concurrency }, worker))
  const seconds = (performance.now() - t0) / 1000
  agent.destroy()
  return { latencies, ttfts, seconds, rps: o.total / seconds, errors }
}
