// @ts-check
/**
 * HEALTHCHECK of the simulated vLLM image (the image has no curl): GET /health on the port the server
 * listens on; exit 0 on 200, 1 otherwise (Docker: `starting` → `healthy`, or `unhealthy` when the engine died).
 */
import { readFileSync } from 'node:fs'
import { request } from 'node:http'

const READY_FILE = '/tmp/inferadmin-sim-vllm.json' // written by serve.js once the server listens

let target
try {
  target = JSON.parse(readFileSync(READY_FILE, 'utf8'))
} catch {
  process.exit(1) // not listening yet
}
const host = !target.host || target.host === '0.0.0.0' || target.host === '::' ? '127.0.0.1' : target.host
const req = request({ host, port: target.port, path: '/health', timeout: 2000 }, (res) => {
  res.resume()
  process.exit(res.statusCode === 200 ? 0 : 1)
})
req.on('timeout', () => req.destroy(new Error('timeout')))
req.on('error', () => process.exit(1))
req.end()
