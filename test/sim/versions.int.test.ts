import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { PROFILES } from './gpus/profiles.js'
import { exitCode, healthy, logs, removeTestContainers, request, runVllm, seededHub, useSim, waitFor } from './support'

const { env, docker } = useSim()
const repo = env.INFERADMIN_SIM_VLLM_IMAGE
const gpu = PROFILES.default!.gpus[1]!.uuid
let hub: Awaited<ReturnType<typeof seededHub>>

beforeAll(async () => {
  hub = await seededHub()
})
afterEach(() => removeTestContainers(docker))
afterAll(() => hub.remove())

describe('flag sets per image tag (vllm-serve-args-history.json)', () => {
  it("v0.10.0 rejects --convert embed (added in 0.11) with argparse's message, exit 2", async () => {
    const { container } = await runVllm(docker, {
      image: `${repo}:v0.10.0`,
      hubDir: hub.dir,
      gpus: [gpu],
      args: ['--model', hub.embed, '--convert', 'embed'],
    })
    expect(await exitCode(container)).toBe(2)
    const { stderr, stdout } = await logs(container)
    // ≤ v0.11.0 images run `python3 -m vllm.entrypoints.openai.api_server` (vllm-facts §1.3), so argparse's prog is api_server.py.
    expect(stderr).toMatch(/^usage: api_server\.py \[-h\] /)
    expect(stderr.trimEnd().split('\n').at(-1)).toBe('api_server.py: error: unrecognized arguments: --convert embed')
    expect(stdout).toBe('')
  })

  it('v0.11.0 accepts --convert embed and serves embeddings', async () => {
    const { container, port } = await runVllm(docker, {
      image: `${repo}:v0.11.0`,
      hubDir: hub.dir,
      gpus: [gpu],
      args: ['--model', hub.embed, '--convert', 'embed', '--gpu-memory-utilization', '0.3'],
    })
    await healthy(port)
    const res = await request(port, '/v1/embeddings', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: ['a', 'b'] }),
    })
    const body = (await res.json()) as { data: { embedding: number[] }[] }
    expect(body.data).toHaveLength(2)
    expect(body.data[0]!.embedding).toHaveLength(384)
    expect((await logs(container)).stdout).toMatch(
      /non-default args: \{'model': 'inferadmin-sim\/tiny-embed', 'convert': 'embed', 'gpu_memory_utilization': 0\.3\}/,
    )
  })

  it('v0.21.0 rejects --swap-space 4 (removed 2026-03) with exit 2', async () => {
    const { container } = await runVllm(docker, {
      image: `${repo}:v0.21.0`,
      hubDir: hub.dir,
      gpus: [gpu],
      args: [hub.chat, '--swap-space', '4'],
    })
    expect(await exitCode(container)).toBe(2)
    const { stderr } = await logs(container)
    expect(stderr).toMatch(/^usage: vllm serve \[-h\] /)
    expect(stderr.trimEnd().split('\n').at(-1)).toBe('vllm serve: error: unrecognized arguments: --swap-space 4')
  })

  it('v0.12.0 accepts --swap-space 4', async () => {
    const { port, container } = await runVllm(docker, {
      image: `${repo}:v0.12.0`,
      hubDir: hub.dir,
      gpus: [gpu],
      args: [hub.chat, '--swap-space', '4', '--gpu-memory-utilization', '0.3'],
    })
    await healthy(port)
    expect((await logs(container)).stderr).toBe('')
  })

  it('--help=all prints every flag of the version in argparse style', async () => {
    const c = await docker.createContainer({ Image: `${repo}:v0.21.0`, Cmd: ['--help=all'], Labels: { 'inferadmin.sim.test': '1' } })
    await c.start()
    expect(await exitCode(c)).toBe(0)
    const { stdout } = await logs(c)
    expect(stdout).toMatch(/^usage: vllm serve \[-h\] /)
    expect(stdout).toMatch(/\n {2}--gpu-memory-utilization GPU_MEMORY_UTILIZATION\n +The fraction of GPU memory/)
    expect(stdout).toMatch(/\(default: 0\.92\)/)
    expect(stdout).toMatch(/\n {2}--enable-prefix-caching, --no-enable-prefix-caching\n/)
    expect(stdout).not.toMatch(/--swap-space/)
  })

  it('a --max-model-len beyond the KV budget fails with the estimated maximum', async () => {
    const { container } = await runVllm(docker, {
      image: `${repo}:v0.12.0`,
      hubDir: hub.dir,
      gpus: [gpu],
      args: [hub.chat, '--gpu-memory-utilization', '0.05'],
    })
    expect(await exitCode(container)).toBe(1)
    expect((await logs(container)).all).toMatch(
      /ValueError: To serve at least one request with the model's max seq len \(40960\), \([\d.]+ GiB KV cache is needed, which is larger than the available KV cache memory \([\d.]+ GiB\)\. Based on the available memory, the estimated maximum model length is \d+\./,
    )
  })

  it("a missing model with HF_HUB_OFFLINE=1 fails with vLLM's message", async () => {
    const { container } = await runVllm(docker, {
      image: `${repo}:v0.12.0`,
      hubDir: hub.dir,
      gpus: [gpu],
      args: ['no-such-org/no-such-model'],
    })
    expect(await exitCode(container)).toBe(1)
    expect((await logs(container)).stderr).toMatch(
      /ValueError: Invalid repository ID or local directory specified: 'no-such-org\/no-such-model'\./,
    )
  })

  it('crashes mid-run on INFERADMIN_SIM_CRASH_AT=running: /health 503, exit 1', async () => {
    const { container, port } = await runVllm(docker, {
      image: `${repo}:latest`,
      hubDir: hub.dir,
      gpus: [gpu],
      args: [hub.chat, '--gpu-memory-utilization', '0.3'],
      env: ['INFERADMIN_SIM_CRASH_AT=running', 'INFERADMIN_SIM_CRASH_AFTER_S=0.5', 'INFERADMIN_SIM_SPEED=2'],
    })
    await healthy(port)
    await waitFor('/health 503', async () => (await request(port, '/health', {}, 1_000)).status === 503, 5_000, 25)
    expect(await exitCode(container)).toBe(1)
    expect((await logs(container)).all).toMatch(/EngineDeadError: EngineCore encountered an issue/)
  })
})
