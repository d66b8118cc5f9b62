import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import type { DoctorReport, GpuDryRunResult, HostInventory } from '../../src/shared/contract/host'
import { startHubSim } from '../sim/hub/server.js'
import { type App, type SimGpus, simGpus, startApp, waitFor } from './support'

// The doctor with the Docker socket pointed at nothing: Docker fails with a fix line, the GPU-in-Docker
// check cannot read the daemon, the rest still runs, and the server keeps answering.
let sim: SimGpus
let app: App

beforeAll(async () => {
  sim = simGpus()
  app = await startApp({
    env: { INFERADMIN_NVIDIA_SMI: sim.smiPath, PATH: '/usr/bin:/bin', HF_ENDPOINT: 'http://127.0.0.1:9' },
    settings: { dockerSocket: `unix://${sim.dir}/no-such-docker.sock` },
  })
  await waitFor('the first GPU sample', async () =>
    (await app.get<{ status: string }>('/api/v1/gpus')).body.status === 'ok' ? true : undefined,
  )
})

afterAll(async () => {
  await app?.stop()
  sim?.remove()
})

/** A healthy sampler: no fault switched on, and a sample taken since (a test before may have left one recovering). */
async function healthySampler(): Promise<void> {
  sim.setFault('none')
  await waitFor(
    'a healthy GPU sample',
    async () => ((await app.get<{ status: string }>('/api/v1/gpus')).body.status === 'ok' ? true : undefined),
    15_000,
  )
}

describe('doctor with Docker unreachable', () => {
  // Flaky in shuffled order: the fault test switched the fault off at its end, but the sampler was still backing
  // off when the next test read the driver check. Every test now starts from a healthy sample.
  beforeEach(healthySampler)

  it('fails the Docker check with the endpoint and an exact fix, without crashing', async () => {
    const { status, body } = await app.get<DoctorReport>('/api/v1/system/doctor')
    expect(status).toBe(200)
    expect(body.status).toBe('fail')
    const byId = Object.fromEntries(body.checks.map((c) => [c.id, c]))
    expect(byId.docker).toMatchObject({ status: 'fail' })
    expect(byId.docker?.detail).toContain(`no Docker socket at unix://${sim.dir}/no-such-docker.sock`)
    expect(byId.docker?.fix).toMatch(/systemctl start docker/)
    expect(byId['gpu-docker']?.status).toBe('fail')
    expect(byId['gpu-docker']?.fix).toMatch(/nvidia-container-toolkit/)
    // the driver check comes from the live sampler (the stand-in), CUDA from the nvidia-smi banner
    expect(byId.driver).toMatchObject({ status: 'ok' })
    expect(byId.driver?.detail).toMatch(/Driver 570\.124\.06, CUDA 12\.8; 2 GPU\(s\)/)
    expect(byId['disk:0']?.status).not.toBe('fail')
    expect(byId['disk:0']?.detail).toMatch(/free of/)
    expect(byId['hf-token']).toMatchObject({ status: 'warn' })
    expect(byId['hf-token']?.fix).toMatch(/huggingface\.co\/settings\/tokens/)
    for (const c of body.checks) if (c.status !== 'ok') expect(c.fix, c.id).toBeTruthy()
    expect((await app.get('/api/v1/health')).status).toBe(200)
  })

  it('the GPU dry run says Docker is unreachable instead of throwing', async () => {
    const { status, body } = await app.send<GpuDryRunResult>('POST', '/api/v1/system/doctor/gpu-dry-run')
    expect(status).toBe(200)
    expect(body).toMatchObject({ status: 'fail', image: null, exitCode: null })
    expect(body.detail).toMatch(/Docker is not reachable/)
  })

  it('reports the driver fault in the doctor while nvidia-smi fails', async () => {
    sim.setFault('mismatch')
    onTestFinished(healthySampler)
    await waitFor(
      'mismatch',
      async () =>
        (await app.get<{ fault: { kind: string } | null }>('/api/v1/gpus')).body.fault?.kind === 'driver-mismatch' ? true : undefined,
      15_000,
    )
    const { body } = await app.get<DoctorReport>('/api/v1/system/doctor')
    const driver = body.checks.find((c) => c.id === 'driver')
    expect(driver).toMatchObject({ status: 'fail' })
    expect(driver?.detail).toMatch(/Driver\/library version mismatch/)
    expect(driver?.fix).toMatch(/reboot/i)
  })
})

describe('inventory', () => {
  it('lists CPU, memory, OS and disks of this host', async () => {
    const { status, body } = await app.get<HostInventory>('/api/v1/system/inventory')
    expect(status).toBe(200)
    expect(body.cpu.cores).toBeGreaterThan(0)
    expect(body.memory.totalBytes).toBeGreaterThan(0)
    expect(body.os.platform).toBe('linux')
    expect(body.disks.length).toBeGreaterThan(0)
  })
})

describe('Hugging Face token', () => {
  it('is valid against the Hub stand-in, and only a warning when the Hub is unreachable', async () => {
    const hub = await startHubSim()
    try {
      expect((await app.send('PUT', '/api/v1/settings', { hfToken: 'hf_simtoken', hubEndpoint: hub.url })).status).toBe(200)
      let hf = (await app.get<DoctorReport>('/api/v1/system/doctor')).body.checks.find((c) => c.id === 'hf-token')
      expect(hf).toMatchObject({ status: 'ok', detail: `Valid token of sim-user at ${hub.url}.`, fix: null })

      // Tokens are kept per Hub: the unreachable one gets a token of its own to try.
      await app.send('PUT', '/api/v1/settings', { hubEndpoint: 'http://127.0.0.1:9', hfToken: 'hf_simtoken' })
      hf = (await app.get<DoctorReport>('/api/v1/system/doctor')).body.checks.find((c) => c.id === 'hf-token')
      expect(hf?.status).toBe('warn')
      expect(hf?.detail).toMatch(/could not be verified: the Hub at http:\/\/127\.0\.0\.1:9 is unreachable/)
    } finally {
      await app.send('PUT', '/api/v1/settings', { hfToken: null, hubEndpoint: hub.url })
      await app.send('PUT', '/api/v1/settings', { hfToken: null, hubEndpoint: '' })
      await hub.close()
    }
  })
})
