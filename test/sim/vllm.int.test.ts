import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { setExternalGpuUsage, setGpuFault } from './gpu-control.js'
import { PROFILES } from './gpus/profiles.js'
import {
  computeApps,
  exitCode,
  healthy,
  logs,
  pidInContainer,
  removeTestContainers,
  request,
  runVllm,
  seededHub,
  smi,
  usedMiB,
  useSim,
  waitFor,
} from './support'

const { env, docker } = useSim()
const repo = env.INFERADMIN_SIM_VLLM_IMAGE
const [gpu0, gpu1] = PROFILES.default!.gpus
let hub: Awaited<ReturnType<typeof seededHub>>

beforeAll(async () => {
  hub = await seededHub()
})
afterEach(async () => {
  await removeTestContainers(docker)
  setExternalGpuUsage(0, 0, { simDir: env.INFERADMIN_SIM_DIR })
  setExternalGpuUsage(1, 0, { simDir: env.INFERADMIN_SIM_DIR })
  setGpuFault('none', { simDir: env.INFERADMIN_SIM_DIR })
})
afterAll(() => hub.remove())

/** vLLM's startup lines, in the order they must appear (vllm-facts §2). */
const PHASES = [
  /non-default args: \{/,
  /Resolved architecture: Qwen3ForCausalLM/,
  /Using max model len 40960/,
  /Model loading took [\d.]+ GiB memory and [\d.]+ seconds/,
  /Available KV cache memory: [\d.]+ GiB/,
  /GPU KV cache size: [\d,]+ tokens/,
  /Maximum concurrency for 40,960 tokens per request: [\d.]+x/,
  /Graph capturing finished in \d+ secs, took [\d.]+ GiB/,
  /init engine \(profile, create kv cache, warmup model\) took [\d.]+ s/,
  /Starting vLLM server on http:\/\/0\.0\.0\.0:8000/,
  /Application startup complete\./,
]

describe('simulated vLLM on a simulated GPU (real dockerd, DeviceRequest by UUID)', () => {
  it('starts with gpu_memory_utilization 0.5, logs the phases in order, is healthy, holds ≈0.5 × total, frees it on stop', async () => {
    const uuid = gpu1!.uuid
    const baseline = await usedMiB(uuid)
    const { container, port } = await runVllm(docker, {
      image: `${repo}:latest`,
      hubDir: hub.dir,
      gpus: [uuid],
      args: [hub.chat, '--gpu-memory-utilization', '0.5'],
    })
    // The port opens only when ready; then /health answers 200.
    await healthy(port)

    const text = (await logs(container)).stdout
    let at = -1
    for (const re of PHASES) {
      const m = re.exec(text.slice(at + 1))
      expect(m, `log line ${re} after position ${at}`).not.toBeNull()
      at += 1 + (m?.index ?? 0)
    }
    expect(text).toMatch(/\(APIServer pid=1\) INFO \d\d-\d\d \d\d:\d\d:\d\d \[utils\.py:\d+\] +▄▄ ▄█ █ +█ +█ ▀▄▀ █ {2}version 0\.21\.0/)

    await waitFor('Docker health "healthy"', async () => (await container.inspect()).State.Health?.Status === 'healthy', 10_000, 200)

    const total = gpu1!.memoryTotalMiB
    const used = await usedMiB(uuid)
    expect((used - baseline) / total).toBeGreaterThan(0.47)
    expect((used - baseline) / total).toBeLessThan(0.53)
    const apps = await computeApps()
    const mine = apps.find((a) => a.uuid === uuid && pidInContainer(a.pid, container.id))
    expect(mine, `compute apps ${JSON.stringify(apps)} list a host PID of container ${container.id}`).toBeDefined()
    expect(mine!.usedMiB).toBe(used - baseline)

    const models = await (await request(port, '/v1/models')).json()
    expect(models).toMatchObject({ object: 'list', data: [{ id: hub.chat, object: 'model', owned_by: 'vllm', max_model_len: 40960 }] })
    expect(await (await request(port, '/version')).json()).toEqual({ version: '0.21.0' })

    await container.stop({ t: 10 })
    expect(await exitCode(container)).toBe(0)
    expect((await logs(container)).stdout).toMatch(/Shutting down FastAPI HTTP server\.[\s\S]*Application shutdown complete\./)
    await waitFor('memory back to the baseline', async () => (await usedMiB(uuid)) === baseline, 5_000)
    expect((await computeApps()).some((a) => pidInContainer(a.pid, container.id))).toBe(false)
  })

  it("exits 1 with vLLM's free-memory message when external usage leaves too little free", async () => {
    const uuid = gpu0!.uuid
    setExternalGpuUsage(0, 4000, { simDir: env.INFERADMIN_SIM_DIR })
    const { container } = await runVllm(docker, { image: `${repo}:latest`, hubDir: hub.dir, gpus: [uuid], args: [hub.chat] })
    expect(await exitCode(container)).toBe(1)
    const out = await logs(container)
    // 24564 MiB card, 400 reserved, 812 display + 4000 external used → 19352 MiB = 18.90 GiB free of 23.60 GiB;
    // ceil(23.60 GiB × 0.92) = 21.71 GiB requested.
    expect(out.all).toContain(
      'ValueError: Free memory on device cuda:0 (18.90/23.60 GiB) on startup is less than desired GPU memory utilization (0.92, 21.71 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.',
    )
    expect(out.all).toMatch(/EngineCore failed to start\./)
    expect(out.stderr).toMatch(/RuntimeError: Engine core initialization failed\. See root cause above\./)
    expect(out.all).not.toMatch(/Application startup complete/)
  })

  it('streams a chat completion as SSE chunks ending with [DONE]', async () => {
    const { container, port } = await runVllm(docker, {
      image: `${repo}:v0.12.0`,
      hubDir: hub.dir,
      gpus: [gpu1!.uuid],
      args: ['--model', hub.chat, '--served-model-name', 'chat', '--gpu-memory-utilization', '0.3'],
    })
    await healthy(port)
    const res = await request(
      port,
      '/v1/chat/completions',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Say something.' }], stream: true, max_tokens: 8 }),
      },
      10_000,
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const events = (await res.text()).split('\n\n').filter(Boolean)
    expect(events.every((e) => e.startsWith('data: '))).toBe(true)
    expect(events.at(-1)).toBe('data: [DONE]')
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)))
    expect(chunks[0]).toMatchObject({ object: 'chat.completion.chunk', model: 'chat', choices: [{ delta: { role: 'assistant' } }] })
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')
    expect(text.split(' ')).toHaveLength(8)
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length')
    const metrics = await (await request(port, '/metrics')).text()
    expect(metrics).toMatch(/^vllm:generation_tokens_total\{engine="0",model_name="chat"\} 8\.0$/m)
    expect(metrics).toMatch(/^vllm:request_success_total\{engine="0",model_name="chat",finished_reason="length"\} 1\.0$/m)
    expect(metrics).toMatch(/^vllm:kv_cache_usage_perc\{/m)
    await container.stop({ t: 10 })
  })

  it("fails the container start with the toolkit's message when the driver is not loaded", async () => {
    setGpuFault('driver-not-loaded', { simDir: env.INFERADMIN_SIM_DIR })
    const r = await smi(['-L'])
    expect(r.code).toBe(9)
    expect(r.stdout).toMatch(/^NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/)
    await expect(runVllm(docker, { image: `${repo}:latest`, hubDir: hub.dir, gpus: 'all', args: [hub.chat] })).rejects.toThrow(
      /nvidia-container-cli: initialization error: nvml error: driver not loaded/,
    )
  })

  it("answers the app's GPU dry run (nvidia-smi -L injected by the hook) with the attached GPU only", async () => {
    const c = await docker.createContainer({
      Image: `${repo}:latest`,
      Entrypoint: ['nvidia-smi'],
      Cmd: ['-L'],
      Labels: { 'inferadmin.sim.test': '1' },
      HostConfig: {
        NetworkMode: 'none',
        DeviceRequests: [{ Driver: '', Count: 0, DeviceIDs: [gpu1!.uuid], Capabilities: [['gpu']], Options: {} }],
      },
    })
    await c.start()
    expect(await exitCode(c)).toBe(0)
    expect((await logs(c)).stdout).toBe(`GPU 0: NVIDIA GeForce RTX 4090 (UUID: ${gpu1!.uuid})\n`)
  })

  it('without a GPU request, fails like vLLM on a machine without CUDA', async () => {
    const { container } = await runVllm(docker, { image: `${repo}:latest`, hubDir: hub.dir, gpus: null, args: [hub.chat] })
    expect(await exitCode(container)).toBe(1)
    expect((await logs(container)).stderr).toMatch(/RuntimeError: Failed to infer device type/)
  })
})
