import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { PROFILES } from '../sim/gpus/profiles.js'
import { seedModel } from '../sim/seed.js'
import { type App, startApp } from '../gpu/support'
import { ourContainers, waitFor } from './support'

// The DeploymentService API other services use (the gateway starts, waits for readiness and stops
// deployments), in-process against the simulated workstation.
const gpu1 = PROFILES.default!.gpus[1]!
let app: App
let store: string
let docker: Docker
let model: string

beforeAll(async () => {
  const env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  store = mkdtempSync(join(tmpdir(), 'inferadmin-deploy-store-'))
  model = (await seedModel(store, { kind: 'chat' })).repo
  // No gateway: this test reaches the container directly (behind a running gateway it needs the gateway's key).
  app = await startApp({
    env: { DOCKER_HOST: env.DOCKER_HOST, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI },
    settings: { modelStores: [{ path: store, label: 'Default' }], listenInterface: '127.0.0.1', gpuRefreshMs: 500, gatewayEnabled: false },
  })
}, 120_000)

afterAll(async () => {
  await app?.stop()
  if (docker) for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  if (store) rmSync(store, { recursive: true, force: true })
})

describe('DeploymentService API', () => {
  it('start → waitReady resolves with the endpoint; stop → waitStopped, then waitReady rejects; a failing start rejects with vLLM’s reason', async () => {
    const svc = app.core.deployments
    const image = `${inject('simEnv').INFERADMIN_SIM_VLLM_IMAGE}:latest`
    const d = await svc.create({
      name: 'api',
      model: { repo: model },
      image,
      gpus: [gpu1.uuid],
      args: { '--gpu-memory-utilization': 0.3 },
      env: { INFERADMIN_SIM_SPEED: '4' },
    })
    const id = d.definition.id
    const phases: string[] = []
    const sub = svc.onEvent((e) => {
      if (
        e.type === 'update' &&
        e.deployment.definition.id === id &&
        e.deployment.status.phase &&
        phases.at(-1) !== e.deployment.status.phase
      )
        phases.push(e.deployment.status.phase)
    })
    svc.start(id)
    const ready = await svc.waitReady(id, { timeoutMs: 30_000 })
    sub.dispose()
    expect(phases).toEqual(['weights', 'kv-cache', 'graph-capture', 'server-start'])
    expect(ready.status.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    expect((await fetch(`${ready.status.endpoint}/models`)).status).toBe(200)
    expect(() => svc.start(id)).toThrow(/already ready/)

    svc.stop(id)
    expect((await svc.waitStopped(id, { timeoutMs: 30_000 })).status.state).toBe('stopped')
    await expect(svc.waitReady(id, { timeoutMs: 30_000 })).rejects.toMatchObject({ code: 'CONFLICT' })

    await svc.update(id, { ...d.definition, args: { '--gpu-memory-utilization': 0.3, '--max-model-len': 10_000_000 } })
    svc.start(id)
    await expect(svc.waitReady(id, { timeoutMs: 30_000 })).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    expect(svc.get(id).status.diagnosis).toMatchObject({ kind: 'invalid-argument', fix: { setArgs: { '--max-model-len': 40960 } } })
  })

  it('cancelling a deploy job stops the container it started (here hung while sizing the KV cache)', async () => {
    const svc = app.core.deployments
    const image = `${inject('simEnv').INFERADMIN_SIM_VLLM_IMAGE}:latest`
    const d = await svc.create({
      name: 'hang',
      model: { repo: model },
      image,
      gpus: [gpu1.uuid],
      args: { '--gpu-memory-utilization': 0.3 },
      env: { INFERADMIN_SIM_SPEED: '4', INFERADMIN_SIM_HANG_AT: 'kv' },
    })
    const id = d.definition.id
    const job = svc.start(id)
    await waitFor('loading', () => svc.get(id).status.state === 'loading')
    const cancelled = await app.core.jobs.cancel(job.id)
    expect(cancelled.state).toBe('cancelled')
    await svc.waitStopped(id, { timeoutMs: 30_000 })
    const running = (await ourContainers(docker)).filter((c) => c.Labels['inferadmin.deployment'] === id && c.State === 'running')
    expect(running).toEqual([])
  })
})
