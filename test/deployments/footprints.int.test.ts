import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Conf from 'conf'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createCore, type Core } from '../../src/main/core/create-core'
import { silentLogger } from '../../src/main/core/logging/logger'
import { GiB } from '../../src/main/core/planner/footprint-lines'
import { fileModeCodec } from '../../src/main/core/settings/backend'
import { SOURCE_WORKER_FILE } from '../../src/main/core/workers/worker-file'
import type { Deployment } from '../../src/shared/contract/deployments'
import { setExternalGpuUsage } from '../sim/gpu-control.js'
import { PROFILES } from '../sim/gpus/profiles.js'
import { seedModel } from '../sim/seed.js'
import { waitFor } from '../gpu/support'
import { ourContainers } from './support'

// Issue #16 points 1 and 8 against the simulated workstation: a ready deployment leaves a footprint that a new core on
// the same data dir reads back; a start that fails for memory raises it and is retried once.
const gpu1 = PROFILES.default!.gpus[1]!
let env: ReturnType<typeof inject<'simEnv'>>
let docker: Docker
let home: string
let store: string
let model: string
let core: Core | undefined

async function startCore(): Promise<Core> {
  return createCore({
    mode: 'headless',
    version: '0.0.0-test',
    paths: { configDir: home, dataDir: home },
    openSettingsFile: () =>
      new Conf<Record<string, unknown>>({ cwd: home, configName: 'settings', projectName: 'inferadmin', clearInvalidConfig: false }),
    secretCodec: fileModeCodec,
    workerFile: SOURCE_WORKER_FILE,
    env: {
      INFERADMIN_HOME: home,
      PATH: process.env.PATH,
      HOME: home,
      DOCKER_HOST: env.DOCKER_HOST,
      INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI,
    },
    logger: silentLogger(),
  })
}

beforeAll(async () => {
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  store = mkdtempSync(join(tmpdir(), 'inferadmin-fp-store-'))
  home = mkdtempSync(join(tmpdir(), 'inferadmin-fp-home-'))
  model = (await seedModel(store, { kind: 'chat' })).repo
  const settings = {
    modelStores: [{ path: store, label: 'Default' }],
    listenInterface: '127.0.0.1',
    gpuRefreshMs: 500,
    gatewayEnabled: false,
  }
  writeFileSync(join(home, 'settings.json'), JSON.stringify(settings))
  core = await startCore()
}, 120_000)

afterAll(async () => {
  setExternalGpuUsage(1, 0, { simDir: env?.INFERADMIN_SIM_DIR })
  await core?.dispose()
  if (docker) for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  for (const d of [home, store]) if (d) rmSync(d, { recursive: true, force: true })
})

/** Starts a deployment and collects the deploy job's messages and the containers it ran, until the job ends. */
async function startAndFollow(
  c: Core,
  id: string,
): Promise<{ state: string; messages: string[]; containers: Set<string>; waited: { outcome: string; containers: number } }> {
  const messages: string[] = []
  const containers = new Set<string>()
  const subs = [
    c.deployments.onEvent((e) => {
      if (e.type === 'update' && e.deployment.definition.id === id && e.deployment.status.containerId)
        containers.add(e.deployment.status.containerId)
    }),
  ]
  const job = c.deployments.start(id)
  // What the gateway sees: waitReady settles on the outcome of the retry, not on the first failure.
  const waited = c.deployments.waitReady(id, { timeoutMs: 60_000 }).then(
    () => ({ outcome: 'ready', containers: containers.size }),
    () => ({ outcome: 'rejected', containers: containers.size }),
  )
  const done = new Promise<string>((resolve) =>
    subs.push(
      c.jobs.onUpdate((j) => {
        if (j.id !== job.id) return
        const m = j.progress.message
        if (m && messages.at(-1) !== m) messages.push(m)
        if (j.state === 'done' || j.state === 'failed' || j.state === 'cancelled') resolve(j.state)
      }),
    ),
  )
  const state = await done
  for (const s of subs) s.dispose()
  return { state, messages, containers, waited: await waited }
}

const learned = (c: Core, id: string, loads: number): Promise<Deployment> =>
  waitFor(`a footprint learned from ${loads} load(s)`, () => {
    const d = c.deployments.get(id)
    return d.footprint?.loads === loads && d.footprint.measuredBytesPerGpu !== null ? d : undefined
  })

describe('learned footprints', { shuffle: false }, () => {
  let id: string

  it('a ready deployment persists its footprint; a new core on the same data dir reads it back', async () => {
    const image = `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`
    const d = await core!.deployments.create({
      name: 'learn',
      model: { repo: model },
      image,
      gpus: [gpu1.uuid],
      args: { '--gpu-memory-utilization': 0.3 },
      env: { INFERADMIN_SIM_SPEED: '4' },
    })
    id = d.definition.id
    expect(d.footprint).toBeNull()
    expect((await startAndFollow(core!, id)).state).toBe('done')
    const fp = (await learned(core!, id, 1)).footprint!
    // 0.3 of a 24 GB card is ~7 GiB; the tiny model's fixed need (weights, activation, non-torch, graphs) is far less.
    expect(fp).toMatchObject({ source: 'learned', failures: 0 })
    expect(fp.needsBytesPerGpu).toBeGreaterThan(0.3 * GiB)
    expect(fp.needsBytesPerGpu).toBeLessThan(3 * GiB)
    expect(fp.kvBytesPerToken).toBeGreaterThan(0)
    // The telemetry sees the whole process: the fraction vLLM requested, more than the fixed need.
    expect(fp.measuredBytesPerGpu!).toBeGreaterThan(fp.needsBytesPerGpu)
    const [record] = core!.footprints.list()
    expect(record).toMatchObject({ loads: 1, kvCacheTokens: expect.any(Number) as number })
    expect(record!.key).toContain(`gpu=${gpu1.name.toLowerCase()}`)

    core!.deployments.stop(id)
    await core!.deployments.waitStopped(id, { timeoutMs: 30_000 })
    await core!.dispose()
    core = await startCore()
    const again = await waitFor('the footprint after a restart', () => core!.deployments.get(id).footprint ?? undefined)
    expect(again).toMatchObject({ source: 'learned', loads: 1, needsBytesPerGpu: fp.needsBytesPerGpu, kvBytesPerToken: fp.kvBytesPerToken })
    expect(core!.footprints.get(record!.key)).toMatchObject({ loads: 1, fixedBytesPerGpu: fp.needsBytesPerGpu })
  })

  it('a start that fails for memory raises the footprint and is retried once, and only once', async () => {
    const before = core!.deployments.get(id)
    // Same fingerprint (the environment is not memory-relevant); the simulated vLLM dies with a CUDA OOM while sizing KV.
    await core!.deployments.update(id, { ...before.definition, env: { INFERADMIN_SIM_SPEED: '4', INFERADMIN_SIM_CRASH_AT: 'kv' } })
    const run = await startAndFollow(core!, id)
    expect(run.state).toBe('failed')
    expect(run.containers.size).toBe(2)
    expect(run.waited).toEqual({ outcome: 'rejected', containers: 2 })
    expect(run.messages.some((m) => /Memory failure: vLLM ran out of memory \(cuda-oom\).*Retrying once/.test(m))).toBe(true)
    expect(run.messages.at(-1)).toMatch(/Retried once already .* not retrying again/)
    const after = core!.deployments.get(id)
    expect(after.status.diagnosis).toMatchObject({ kind: 'cuda-oom', hint: expect.stringMatching(/not retrying again/) as string })
    // Each failed start raised it by at least the 2 GiB vLLM tried to allocate.
    expect(after.footprint).toMatchObject({ loads: 1, failures: 2 })
    expect(after.footprint!.needsBytesPerGpu).toBeGreaterThan(before.footprint!.needsBytesPerGpu + 4 * GiB)
  })

  it('free memory below the request: the footprint is not raised, the retry runs with fresh memory and starts', async () => {
    const before = core!.deployments.get(id)
    await core!.deployments.update(id, { ...before.definition, env: { INFERADMIN_SIM_SPEED: '4' } })
    // Another program takes the memory once the planner has admitted the start (its container is being created), so
    // vLLM's own check fails; it lets go when that start fails (before the retry is admitted again).
    let phase: 'admitting' | 'taken' | 'freed' = 'admitting'
    const other = core!.deployments.onEvent((e) => {
      if (e.type !== 'update' || e.deployment.definition.id !== id) return
      const st = e.deployment.status.state
      if (phase === 'admitting' && st === 'creating') {
        phase = 'taken'
        setExternalGpuUsage(1, 22_000, { simDir: env.INFERADMIN_SIM_DIR })
      } else if (phase === 'taken' && st === 'failed') {
        phase = 'freed'
        setExternalGpuUsage(1, 0, { simDir: env.INFERADMIN_SIM_DIR })
      }
    })
    const run = await startAndFollow(core!, id)
    other.dispose()
    expect(run.messages.some((m) => /other programs held GPU memory.*Retrying once/.test(m))).toBe(true)
    expect(run.state).toBe('done')
    expect(run.containers.size).toBe(2)
    expect(run.waited).toEqual({ outcome: 'ready', containers: 2 })
    const after = await learned(core!, id, 2)
    expect(after.footprint).toMatchObject({ failures: 3, needsBytesPerGpu: before.footprint!.needsBytesPerGpu })
  })
})
