import type { TestProject } from 'vitest/node'
import { down, up } from './sim.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The `export NAME=value` environment of `sim up` (DOCKER_HOST, INFERADMIN_NVIDIA_SMI, …). */
    simEnv: Record<string, string>
  }
}

/**
 * The simulated workstation for the integration tests: `up` (idempotent; a private dockerd with the
 * stand-in GPU hook, images built or reused) before the run, `down` after it — only if this run started
 * the engine, so a developer's running `npm run sim -- up` stays up.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const r = await up({ engine: 'private', log: (s) => process.stderr.write(`[sim] ${s}\n`) })
  process.stderr.write(`[sim] up in ${r.seconds.toFixed(1)} s (${r.startedEngine ? 'started' : 'reused'} engine ${r.engine.dockerHost})\n`)
  project.provide('simEnv', r.env)
  return async () => {
    if (r.startedEngine) await down({ log: (s) => process.stderr.write(`[sim] ${s}\n`) })
  }
}
