#!/usr/bin/env node
// @ts-check
// Builds every simulated vLLM image from scratch in a throwaway private dockerd (own state directory:
// empty data root, so nothing is cached), then starts the simulated vLLM three times (default speed) and
// measures container start → /health 200. Prints ONE JSON line:
// {buildSeconds, readySeconds (median), readyRuns, engineSeconds, images}. Needs root and Debian docker.io.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { simPaths } from '../test/sim/config.js'
import { PROFILES } from '../test/sim/gpus/profiles.js'
import { seedModel } from '../test/sim/seed.js'
import { down, up } from '../test/sim/sim.js'

const simDir = mkdtempSync(join(tmpdir(), 'inferadmin-bench-sim-'))
const log = (/** @type {string} */ s) => process.stderr.write(`bench: ${s}\n`)
let result
try {
  const t0 = Date.now()
  const engine = await up({ simDir, engine: 'private', build: false, log })
  const engineSeconds = (Date.now() - t0) / 1000
  const built = await up({ simDir, engine: 'private', log })
  const buildSeconds = built.images?.seconds ?? NaN
  const docker = new Docker({ socketPath: simPaths(simDir).socket })
  const hub = join(simDir, 'hub')
  const model = await seedModel(hub, { kind: 'chat' })
  /** @type {number[]} */
  const readyRuns = []
  for (let i = 0; i < 3; i++) {
    const c = await docker.createContainer({
      Image: `${engine.env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
      Cmd: [model.repo, '--gpu-memory-utilization', '0.5'],
      Env: ['HF_HUB_OFFLINE=1'],
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: {
        Binds: [`${hub}:/root/.cache/huggingface/hub:ro`],
        PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
        DeviceRequests: [
          { Driver: '', Count: 0, DeviceIDs: [PROFILES.default?.gpus[1]?.uuid ?? '1'], Capabilities: [['gpu']], Options: {} },
        ],
      },
    })
    const start = Date.now()
    await c.start()
    const port = (await c.inspect()).NetworkSettings.Ports['8000/tcp']?.[0]?.HostPort
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status === 200,
        () => false,
      )
      if (ok) break
      if (Date.now() - start > 30_000) throw new Error('the simulated vLLM did not become ready in 30 s')
      await new Promise((r) => setTimeout(r, 25))
    }
    readyRuns.push((Date.now() - start) / 1000)
    await c.remove({ force: true })
  }
  const sorted = [...readyRuns].sort((a, b) => a - b)
  result = { buildSeconds, readySeconds: sorted[1], readyRuns, engineSeconds, images: built.images?.built.length ?? 0 }
} finally {
  await down({ simDir, purge: true, log })
}
process.stdout.write(JSON.stringify(result) + '\n')
