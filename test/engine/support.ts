import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { inject } from 'vitest'
import type { Job } from '../../src/shared/contract/jobs'
import { readRegistryState, pushTags, setRegistryFaults, type RegistryState } from '../sim/registry/registry.js'
import { type App, waitFor } from '../gpu/support'

export { startApp, waitFor, type App } from '../gpu/support'

export interface EngineSim {
  env: Record<string, string>
  docker: Docker
  /** host:port of the registry front (token auth). */
  registry: string
  state: RegistryState
  /** Repository of the simulated vLLM images in the sim dockerd (and in the registry). */
  simRepository: string
  faults(f: { throttleBps?: number; down?: boolean; anonymous?: boolean }): Promise<void>
}

export function engineSim(): EngineSim {
  const env = inject('simEnv')
  if (!env?.INFERADMIN_SIM_REGISTRY)
    throw new Error('no simEnv with INFERADMIN_SIM_REGISTRY: run this file in the vitest "sim" project (sim up starts the registry)')
  const state = readRegistryState(env.INFERADMIN_SIM_DIR as string)
  if (!state) throw new Error(`no registry state in ${env.INFERADMIN_SIM_DIR}`)
  const docker = new Docker({ socketPath: (env.DOCKER_HOST as string).replace(/^unix:\/\//, '') })
  return {
    env,
    docker,
    registry: env.INFERADMIN_SIM_REGISTRY,
    state,
    simRepository: env.INFERADMIN_SIM_VLLM_IMAGE as string,
    faults: (f) => setRegistryFaults(state, f),
  }
}

/** A fresh repository name in the registry, so tests that push never disturb the shared simulated tags. */
export function testRepository(): string {
  return `inferadmin-test/vllm-${randomBytes(4).toString('hex')}`
}

/**
 * Builds a small image with its own random layer (so a pull really downloads), tags it `repo:tag` locally.
 * @returns the local reference
 */
export async function buildUniqueImage(docker: Docker, repo: string, tag: string, megabytes: number): Promise<string> {
  const ctx = mkdtempSync(join(tmpdir(), 'inferadmin-engine-img-'))
  try {
    writeFileSync(join(ctx, 'payload.bin'), randomBytes(megabytes * 1024 * 1024))
    writeFileSync(join(ctx, 'Dockerfile'), `FROM scratch\nCOPY payload.bin /payload.bin\nLABEL inferadmin.test=engine\n`)
    const stream = await docker.buildImage({ context: ctx, src: ['Dockerfile', 'payload.bin'] }, { t: `${repo}:${tag}`, rm: true })
    const events = await new Promise<{ error?: string }[]>((res, rej) =>
      docker.modem.followProgress(stream, (err, out) => (err ? rej(err) : res(out as { error?: string }[]))),
    )
    const failed = events.find((e) => e.error)
    if (failed) throw new Error(`build failed: ${failed.error}`)
    return `${repo}:${tag}`
  } finally {
    rmSync(ctx, { recursive: true, force: true })
  }
}

/** Push `local repo:tag` images to the registry under `repo` with the given tags (registry tag → local tag). */
export async function push(sim: EngineSim, repository: string, tags: Record<string, string>): Promise<void> {
  await pushTags(sim.docker, { registry: sim.registry, repository, tags })
}

/** Remove every local tag of `repository` (and the registry-prefixed ones), pruning the layers. */
export async function removeLocal(docker: Docker, prefixes: string[]): Promise<void> {
  for (const img of await docker.listImages()) {
    for (const ref of img.RepoTags ?? []) {
      if (prefixes.some((p) => ref.startsWith(`${p}:`)))
        await docker
          .getImage(ref)
          .remove({ force: true })
          .catch(() => undefined)
    }
  }
}

export async function imagePresent(docker: Docker, ref: string): Promise<boolean> {
  return docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    )
}

export async function waitJob(app: App, id: string, states: Job['state'][], timeoutMs = 60_000): Promise<Job> {
  return waitFor(
    `job ${id} to be ${states.join('/')}`,
    async () => {
      const j = (await app.get<Job>(`/api/v1/jobs/${id}`)).body
      if (states.includes(j.state)) return j
      if (['failed', 'cancelled', 'done'].includes(j.state)) throw new Error(`job ended ${j.state}: ${JSON.stringify(j.error)}`)
      return undefined
    },
    timeoutMs,
  )
}
