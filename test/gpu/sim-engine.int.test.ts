import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { silentLogger } from '../../src/main/core/logging/logger'
import { createDockerPidResolver } from '../../src/main/core/gpu/pid-resolver'
import type { GpusSnapshot } from '../../src/shared/contract/gpu'
import type { DoctorReport, GpuDryRunResult } from '../../src/shared/contract/host'
import { simPaths } from '../sim/config.js'
import { setExternalGpuUsage, setGpuFault } from '../sim/gpu-control.js'
import { PROFILES } from '../sim/gpus/profiles.js'
import { computeApps, seededHub } from '../sim/support'
import { type App, sampleThatShowed, startApp, waitFor } from './support'

// Against the simulated workstation: a real (private) dockerd with the stand-in GPU hook, the stand-in
// nvidia-smi, and a simulated vLLM container that registers its GPU allocation.
const [gpu0, gpu1] = PROFILES.default!.gpus
const TEST_LABEL = 'inferadmin.gpu.test'
let env: Record<string, string>
let docker: Docker
let app: App
let hub: Awaited<ReturnType<typeof seededHub>>

const gpus = async (): Promise<GpusSnapshot> => (await app.get<GpusSnapshot>('/api/v1/gpus')).body

beforeAll(async () => {
  // `sim up` ran in the sim project's globalSetup (test/sim/global-setup.ts).
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project (vitest.config.ts includes test/**/*.int.test.ts there)')
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  await cleanSim()
  hub = await seededHub()
  app = await startApp({
    env: {
      DOCKER_HOST: env.DOCKER_HOST,
      INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI,
      INFERADMIN_SIM_VLLM_IMAGE: env.INFERADMIN_SIM_VLLM_IMAGE,
      // As on a real host, the toolkit's hook is on the PATH the app and dockerd share.
      PATH: `${simPaths(env.INFERADMIN_SIM_DIR).hookBinDir}:${process.env.PATH}`,
    },
    gpuTuning: { backoff: { initialMs: 200, maxMs: 1000, jitter: 0 }, appsEveryMs: 500 },
  })
  await waitFor('the first GPU sample', async () => ((await gpus()).status === 'ok' ? true : undefined), 15_000)
}, 180_000)

/** No containers of ours, no external use, no fault. */
async function cleanSim(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [TEST_LABEL] }) })
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true })))
  setExternalGpuUsage(0, 0, { simDir: env.INFERADMIN_SIM_DIR })
  setExternalGpuUsage(1, 0, { simDir: env.INFERADMIN_SIM_DIR })
  setGpuFault('none', { simDir: env.INFERADMIN_SIM_DIR })
}

afterEach(cleanSim)

afterAll(async () => {
  await app?.stop()
  hub?.remove()
})

/** A simulated vLLM on one GPU (by UUID), labelled like a deployment of ours. */
async function startVllm(uuid: string, deployment: string): Promise<Docker.Container> {
  const c = await docker.createContainer({
    Image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
    Cmd: [hub.chat, '--gpu-memory-utilization', '0.5'],
    Env: ['HF_HUB_OFFLINE=1'],
    Labels: { [TEST_LABEL]: '1', 'inferadmin.managed': 'true', 'inferadmin.kind': 'vllm', 'inferadmin.deployment': deployment },
    HostConfig: {
      Binds: [`${hub.dir}:/root/.cache/huggingface/hub:ro`],
      DeviceRequests: [{ Driver: '', Count: 0, DeviceIDs: [uuid], Capabilities: [['gpu']], Options: {} }],
    },
  })
  await c.start()
  return c
}

describe('per-container VRAM on the simulated workstation', () => {
  it('attributes the vLLM container on GPU 1 to its deployment and 3000 MiB external on GPU 0 to other use; changes show within two intervals', async () => {
    const before = await gpus()
    const other0 = before.gpus[0]!.memory.otherMiB
    const other1 = before.gpus[1]!.memory.otherMiB
    setExternalGpuUsage(0, 3000, { simDir: env.INFERADMIN_SIM_DIR })
    const c = await startVllm(gpu1!.uuid, 'dep-gpu-test')

    const s = await waitFor(
      'the container on GPU 1 in /api/v1/gpus',
      async () => {
        const x = await gpus()
        const g = x.gpus[1]
        const mine = g?.memory.containers.find((u) => u.containerId === c.id)
        const inContainers = (g?.memory.containers ?? []).reduce((n, u) => n + u.usedMiB, 0)
        // vLLM allocates in phases (weights, then KV cache): wait for the KV cache, and for compute apps
        // and memory.used to agree
        const loaded = mine !== undefined && mine.usedMiB > 0.4 * gpu1!.memoryTotalMiB
        return loaded && g?.memoryUsedMiB === other1 + inContainers && x.gpus[0]?.memory.otherMiB === other0 + 3000 ? x : undefined
      },
      20_000,
    )
    const g1 = s.gpus[1]!
    const use = g1.memory.containers.find((u) => u.containerId === c.id)!
    expect(g1.uuid).toBe(gpu1!.uuid)
    expect(use).toMatchObject({ deploymentId: 'dep-gpu-test', labels: expect.objectContaining({ 'inferadmin.managed': 'true' }) })
    expect(use.containerName).toMatch(/^[a-z0-9_]+$/)
    expect(use.pids.length).toBeGreaterThan(0)
    // ≈ 0.5 × total, and everything else on GPU 1 is what was there before
    expect(use.usedMiB / gpu1!.memoryTotalMiB).toBeGreaterThan(0.45)
    expect(use.usedMiB / gpu1!.memoryTotalMiB).toBeLessThan(0.55)
    expect(g1.memory.otherMiB).toBe(other1)
    // GPU 0: no container, the 3000 MiB external show as other use
    expect(s.gpus[0]!.memory.containers).toEqual([])
    expect(s.gpus[0]!.memory.otherMiB - other0).toBe(3000)

    const changed = Date.now()
    setExternalGpuUsage(0, 4500, { simDir: env.INFERADMIN_SIM_DIR })
    const now = await waitFor('the new external amount', async () => {
      const x = await gpus()
      return x.gpus[0]?.memory.otherMiB === other0 + 4500 ? x : undefined
    })
    // within two intervals, counted in the sampler's samples (the first may have been read just before the change)
    expect(await sampleThatShowed(app, 0, changed, now.gpus[0]!.memoryUsedMiB!)).toBeLessThanOrEqual(3)

    const metrics = (await app.text('/metrics')).text
    expect(metrics).toContain(
      `inferadmin_gpu_container_memory_bytes{gpu="1",uuid="${gpu1!.uuid}",container_id="${c.id.slice(0, 12)}",container_name="${use.containerName}",deployment="dep-gpu-test"}`,
    )

    await c.stop({ t: 5 })
    await waitFor(
      'the container gone from GPU 1',
      async () => ((await gpus()).gpus[1]?.memory.containers.length === 0 ? true : undefined),
      10_000,
    )
  })
})

describe('doctor on the simulated workstation', () => {
  it('Docker ok with version and API, GPU support ok through the stand-in hook, driver ok', async () => {
    const { body } = await app.get<DoctorReport>('/api/v1/system/doctor')
    const byId = Object.fromEntries(body.checks.map((c) => [c.id, c]))
    expect(byId.docker).toMatchObject({ status: 'ok', fix: null })
    expect(byId.docker?.detail).toMatch(new RegExp(`^Docker \\S+ \\(API \\d+\\.\\d+\\) at ${env.DOCKER_HOST!.replace(/[/.]/g, '\\$&')}$`))
    expect(byId['gpu-docker']).toMatchObject({ status: 'ok', fix: null })
    expect(byId['gpu-docker']?.detail).toContain(join(simPaths(env.INFERADMIN_SIM_DIR).hookBinDir, 'nvidia-container-runtime-hook'))
    expect(byId.driver?.status).toBe('ok')
  })

  it('the GPU dry run starts a container with a GPU request and sees both GPUs', async () => {
    const { status, body } = await app.send<GpuDryRunResult>('POST', '/api/v1/system/doctor/gpu-dry-run')
    expect(status).toBe(200)
    expect(body.image).toMatch(new RegExp(`^${env.INFERADMIN_SIM_VLLM_IMAGE}:`))
    expect(body).toMatchObject({ status: 'ok', exitCode: 0, fix: null })
    expect(body.output).toBe(`GPU 0: ${gpu0!.name} (UUID: ${gpu0!.uuid})\nGPU 1: ${gpu1!.name} (UUID: ${gpu1!.uuid})`)
  })

  it("the dry run fails with the toolkit's message and a driver fix when the driver is not loaded", async () => {
    setGpuFault('driver-not-loaded', { simDir: env.INFERADMIN_SIM_DIR })
    const { body } = await app.send<GpuDryRunResult>('POST', '/api/v1/system/doctor/gpu-dry-run')
    expect(body.status).toBe('fail')
    expect(body.detail).toMatch(/nvidia-container-cli: initialization error: nvml error: driver not loaded/)
    expect(body.fix).toMatch(/driver/)
  })

  it("without the hook on this app's PATH, GPU support fails with the toolkit fix until a GPU dry run proves it", async () => {
    const other = await startApp({
      env: {
        DOCKER_HOST: env.DOCKER_HOST,
        INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI,
        INFERADMIN_SIM_VLLM_IMAGE: env.INFERADMIN_SIM_VLLM_IMAGE,
        PATH: '/usr/bin:/bin',
      },
    })
    try {
      const gpuCheck = async () => (await other.get<DoctorReport>('/api/v1/system/doctor')).body.checks.find((c) => c.id === 'gpu-docker')
      const before = await gpuCheck()
      expect(before).toMatchObject({ status: 'fail' })
      expect(before?.fix).toMatch(/nvidia-container-toolkit/)
      expect((await other.send<GpuDryRunResult>('POST', '/api/v1/system/doctor/gpu-dry-run')).body.status).toBe('ok')
      const after = await gpuCheck()
      expect(after).toMatchObject({ status: 'ok', fix: null })
      expect(after?.detail).toMatch(/^The GPU dry run at .* started a container with a GPU/)
    } finally {
      await other.stop()
    }
  })

  it('says clearly when no image is available for the dry run', async () => {
    const other = await startApp({
      env: { DOCKER_HOST: env.DOCKER_HOST, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI },
      settings: { vllmImageRepository: 'example/not-pulled' },
    })
    try {
      const { body } = await other.send<GpuDryRunResult>('POST', '/api/v1/system/doctor/gpu-dry-run')
      expect(body).toMatchObject({ status: 'warn', image: null })
      expect(body.detail).toMatch(/No local image to test with \(looked for example\/not-pulled\); nothing was started/)
      expect(body.fix).toMatch(/Pull a vLLM image first/)
    } finally {
      await other.stop()
    }
  })
})

describe('PID → container', () => {
  it('maps a vLLM process by /proc/<pid>/cgroup, and by `docker top` when /proc cannot show it; host PIDs stay unmapped', async () => {
    const c = await startVllm(gpu0!.uuid, 'dep-pid-test')
    const app0 = await waitFor(
      'the vLLM process in compute apps',
      async () => {
        process.env.INFERADMIN_NVIDIA_SMI = env.INFERADMIN_NVIDIA_SMI
        return (await computeApps()).find((a) => a.uuid === gpu0!.uuid)
      },
      15_000,
    )
    const viaProc = createDockerPidResolver({ docker: () => docker, logger: silentLogger() })
    const viaTop = createDockerPidResolver({
      docker: () => docker,
      logger: silentLogger(),
      procRoot: mkdtempSync(join(tmpdir(), 'no-proc-')),
    })
    for (const resolve of [viaProc, viaTop]) {
      const m = await resolve([app0.pid, process.pid])
      expect(m.get(app0.pid)).toMatchObject({ id: c.id, labels: expect.objectContaining({ 'inferadmin.deployment': 'dep-pid-test' }) })
      expect(m.has(process.pid)).toBe(false)
    }
  })
})
