import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GiB, parseFootprint, parseSleepFacts } from '../../src/main/core/planner/footprint-lines'
import { chat } from './vllm-api-support'
import { initGpuState, listAllocations, readings, readState } from './gpus/state.js'
import { buildParser, parseArgs } from './vllm/argparse.js'
import { detectCuda } from './vllm/gpu.js'
import { createLoggers } from './vllm/log.js'
import { Stats } from './vllm/metrics.js'
import { mountedRoutes, supportedTasks } from './vllm/routes.js'
import { createApiServer } from './vllm/server.js'
import { createSleeper } from './vllm/sleep.js'
import { startEngine } from './vllm/startup.js'
import { versionInfo } from './vllm/versions.js'

/**
 * Sleep mode of the simulated vLLM (gateway-facts §1), in-process: the real engine startup on a simulated GPU, the
 * real HTTP server with the dev-mode routes, and the planner's parser reading the lines it prints.
 */
let dir: string
let gpuDir: string
const closers: (() => void)[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inferadmin-sleep-'))
  gpuDir = join(dir, 'gpus')
  initGpuState(gpuDir)
})
afterEach(() => {
  closers.splice(0).forEach((c) => c())
  rmSync(dir, { recursive: true, force: true })
})

const model = {
  name: 'Qwen/Qwen3-0.6B',
  dir: '/models/qwen',
  commit: 'c1899de289a04d12100db370d81485cdf75e47ca',
  config: {},
  architecture: 'Qwen3ForCausalLM',
  weightBytes: 1.2 * GiB,
  paramCount: 600_000_000,
  numLayers: 28,
  numKvHeads: 8,
  headDim: 128,
  hiddenSize: 1024,
  derivedMaxLen: 40960,
  dtype: 'bfloat16',
  labels: [],
}

/** MiB our process holds on GPU 0, as nvidia-smi reads it. */
const usedMiB = (): number => {
  const r = readings(readState(gpuDir), listAllocations(gpuDir, { verify: 'host' }))
  return r[0]!.usedMiB
}

async function engine(o: { tag?: string; devMode?: boolean; enabled?: boolean; hostFreeBytes?: number; speed?: number } = {}) {
  const v = versionInfo(o.tag ?? 'v0.21.0')
  let log = ''
  const logs = createLoggers(v, { pid: 7, out: (s: string) => void (log += s), err: (s: string) => void (log += s) })
  const cuda = detectCuda({ INFERADMIN_SIM_GPU_DIR: gpuDir, NVIDIA_VISIBLE_DEVICES: '0' })!
  const speed = o.speed ?? 4
  const holder: { alloc: { release: () => void } | null } = { alloc: null }
  const t0 = Date.now()
  const c = { v, args: { gpu_memory_utilization: 0.4 }, logs, model, cuda, sim: { speed, hangAt: null, crashAt: null } }
  const started = await startEngine({ ...c, maxModelLen: 4096, maxModelLenAuto: false } as never, holder as never)
  const coldMs = Date.now() - t0
  closers.push(() => holder.alloc?.release())
  const { plan, alloc } = started as unknown as {
    plan: { weightBytes: number; kvBytes: number; allocatedBytes: number }
    alloc: { hold: (b: number) => void }
  }
  const sleeper = createSleeper({
    v,
    logs,
    alloc,
    cuda,
    tp: 1,
    enabled: o.enabled ?? true,
    weightsPerGpu: plan.weightBytes,
    kvBytes: plan.kvBytes,
    awakeBytes: plan.allocatedBytes,
    speed,
    hostFreeBytes: () => o.hostFreeBytes ?? 64 * GiB,
  })
  const tasks = supportedTasks({ architecture: model.architecture, numLabels: 0 })
  const devMode = o.devMode ?? true
  const server = createApiServer({
    v,
    servedNames: ['qwen'],
    root: model.name,
    maxModelLen: 4096,
    tasks,
    hiddenSize: 64,
    labels: [],
    stats: new Stats(),
    tokensPerS: 400,
    ttftMs: 1,
    loadChanged: () => {},
    dead: () => false,
    auth: { keys: ['k'], prefixes: v.authPrefixes },
    log: logs.api,
    accessLog: { enabled: false, skip: [] },
    metrics: { model: 'qwen', kvTokens: 10000, blockSize: 16, gpuMemoryUtilization: 0.5, numGpuBlocks: 625, oldNames: false },
    createdAt: Date.now(),
    routes: mountedRoutes(v, tasks, devMode),
    sleeper: devMode ? sleeper : null,
    garbled: () => sleeper.garbled(),
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closers.unshift(() => (server.closeAllConnections(), server.close()))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const post = (path: string, body?: unknown) =>
    fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  const sleeping = async () => ((await (await fetch(`${base}/is_sleeping`)).json()) as { is_sleeping: boolean }).is_sleeping
  return { log: () => log, coldMs, post, sleeping, base, plan }
}

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = Date.now()
  const r = await f()
  return [r, Date.now() - t]
}

describe('simulated vLLM sleep mode', () => {
  it('every simulated version accepts --enable-sleep-mode (argparse, as the flag snapshots have it)', () => {
    for (const tag of ['v0.10.0', 'v0.11.0', 'v0.12.0', 'v0.21.0'])
      expect(parseArgs(buildParser(tag, { prog: 'vllm serve', positionalModel: true }), ['m', '--enable-sleep-mode']).args).toMatchObject({
        enable_sleep_mode: true,
      })
  })

  it('level 1: frees weights and KV but keeps context and graphs, queues a request while asleep, wakes faster than the cold start', async () => {
    const e = await engine()
    const awake = usedMiB()
    const r = await e.post('/sleep?level=1&mode=wait')
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('')
    expect(await e.sleeping()).toBe(true)
    const asleep = usedMiB()
    expect(asleep).toBeLessThan(awake - (1.2 * GiB) / 2 ** 20)
    expect(asleep).toBeGreaterThan(0)
    const facts = parseSleepFacts(e.log())
    expect(facts.freedBytes! / GiB).toBeCloseTo((e.plan.weightBytes + e.plan.kvBytes) / GiB, 1)
    expect(facts.backedUpBytes! / GiB).toBeCloseTo(1.2, 1)
    expect(facts.stillInUseBytes! / 2 ** 20).toBeCloseTo(asleep, -1) // whole GPU (the display's 812 MiB included, as nvidia-smi)
    expect(facts.fallAsleepSeconds).toBeGreaterThan(0)
    expect(await (await fetch(`${e.base}/health`)).status).toBe(200)

    // A request while asleep waits (v0.21 queues it) and is answered after the wake.
    let answered = false
    const pending = e.post('/v1/chat/completions', chat('qwen')).then(async (res) => ((answered = true), res))
    await new Promise((r) => setTimeout(r, 50))
    expect(answered).toBe(false)
    const [w, wakeMs] = await timed(() => e.post('/wake_up'))
    expect(w.status).toBe(200)
    const res = await pending
    expect(res.status).toBe(200)
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toMatch(/^[A-Z][a-z]/)
    expect(await e.sleeping()).toBe(false)
    expect(usedMiB()).toBe(awake)
    expect(e.log()).toContain('wake up the engine with tags: None')
    expect(e.log()).toMatch(/It took \d+\.\d{6} seconds to wake up tags \{'weights', 'kv_cache'\}\./)
    const woke = parseSleepFacts(e.log())
    expect(woke.wakeSeconds).toBeGreaterThan(0)
    expect(woke.wakeSeconds! * 1000).toBeLessThan(e.coldMs / 5)
    expect(wakeMs).toBeLessThan(e.coldMs)
    // The startup lines still parse beside the sleep lines.
    expect(parseFootprint(e.log()).weightsBytes! / GiB).toBeCloseTo(1.2, 1)
  })

  it('level 2: a plain wake serves garbage; the four-step wake (weights, reload_weights, kv_cache, reset) serves text', async () => {
    const e = await engine()
    await e.post('/sleep?level=2')
    expect(parseSleepFacts(e.log()).backedUpBytes).toBe(0)
    await e.post('/wake_up')
    const garbage = (await (await e.post('/v1/chat/completions', chat('qwen'))).json()) as { choices: { message: { content: string } }[] }
    expect(garbage.choices[0]!.message.content).toMatch(/^!+( !+)*$/)

    await e.post('/sleep?level=2')
    expect((await e.post('/wake_up?tags=weights')).status).toBe(200)
    expect(e.log()).toContain("wake up the engine with tags: ['weights']")
    const rpc = await e.post('/collective_rpc', { method: 'reload_weights', args: [], kwargs: {}, timeout: null })
    expect(await rpc.json()).toEqual({ results: [null] })
    expect(await e.sleeping()).toBe(true)
    expect((await e.post('/wake_up?tags=kv_cache')).status).toBe(200)
    expect((await e.post('/reset_prefix_cache')).status).toBe(200)
    expect(await e.sleeping()).toBe(false)
    const ok = (await (await e.post('/v1/chat/completions', chat('qwen'))).json()) as { choices: { message: { content: string } }[] }
    expect(ok.choices[0]!.message.content).toMatch(/^[A-Z][a-z]/)
    expect((await e.post('/collective_rpc', {})).status).toBe(400)
  })

  it('sleeping twice and waking an awake engine log the executor warnings; an unknown tag changes nothing', async () => {
    const e = await engine()
    await e.post('/wake_up')
    expect(e.log()).toContain('Executor is not sleeping.')
    await e.post('/sleep?level=1')
    await e.post('/sleep?level=1')
    expect(e.log()).toContain('Executor is already sleeping.')
    await e.post('/wake_up?tags=weights')
    await e.post('/wake_up?tags=weights')
    expect(e.log()).toContain("Tag weights is not in sleeping tags {'kv_cache'}")
  })

  it('level 1 without host RAM for the weights fails and stays awake', async () => {
    const e = await engine({ hostFreeBytes: 0.5 * GiB })
    const awake = usedMiB()
    const r = await e.post('/sleep?level=1')
    expect(r.status).toBe(500)
    expect(await e.sleeping()).toBe(false)
    expect(usedMiB()).toBe(awake)
    expect((await e.post('/sleep?level=2')).status).toBe(200)
  })

  it('without --enable-sleep-mode /sleep answers 200 and frees nothing; without dev mode the routes are 404', async () => {
    const e = await engine({ enabled: false })
    const awake = usedMiB()
    expect((await e.post('/sleep?level=1')).status).toBe(200)
    expect(parseSleepFacts(e.log()).freedBytes).toBe(0)
    expect(usedMiB()).toBe(awake)
    const off = await engine({ devMode: false })
    const r = await off.post('/sleep')
    expect(r.status).toBe(404)
    expect(await r.json()).toEqual({ detail: 'Not Found' })
  })

  it('before the scheduler pause (v0.12.0) a request reaching a sleeping engine fails', async () => {
    const e = await engine({ tag: 'v0.12.0' })
    await e.post('/sleep?level=1')
    expect((await e.post('/v1/chat/completions', chat('qwen'))).status).toBe(500)
    expect(e.log()).toMatch(/\[executor_base\.py:\d+\] It took \d+\.\d{6} seconds to fall asleep\./)
  })
})
