import { afterEach, describe, expect, it } from 'vitest'
import { lruPolicy } from '../../bench/lib/policies.js'
import { policyAdmission } from '../../bench/lib/policy-admission.js'
import { startCheck, Workstation, type WsModel } from '../../bench/lib/workstation.js'
import { vllmAdmin } from '../../src/main/core/gateway/vllm-admin'
import { parseFootprint, parseSleepFacts } from '../../src/main/core/planner/footprint-lines'

const MiB = 1024 ** 2
const GiB = 1024 ** 3
const TOTAL = 24_164 * MiB
const model = (id: string, o: Partial<WsModel> = {}): WsModel => ({
  id,
  w: 3.1,
  layers: 28,
  kv: 2,
  dim: 128,
  hidden: 1536,
  maxModelLen: 8192,
  alwaysOn: false,
  loadSeconds: 40,
  ...o,
})

describe("the virtual workstation's start rule (vLLM's startup check)", () => {
  it('holds total × utilization when that much is free', () => {
    const r = startCheck({ model: model('a'), totalBytes: TOTAL, free: [{ index: 0, freeBytes: TOTAL }], utilization: 0.2 })
    expect(r).toMatchObject({ ok: true, heldBytes: Math.ceil(TOTAL * 0.2), weightBytes: Math.ceil(3.1 * GiB) })
  })

  it("fails with vLLM's free-memory message when total × utilization exceeds the free memory now", () => {
    const free = Math.ceil(TOTAL * 0.2) - 1
    const r = startCheck({ model: model('a'), totalBytes: TOTAL, free: [{ index: 1, freeBytes: free }], utilization: 0.2 })
    expect(r.ok).toBe(false)
    expect(!r.ok && r.message).toMatch(
      /^ValueError: Free memory on device cuda:1 \(.* GiB\) on startup is less than desired GPU memory utilization \(0\.2,/,
    )
  })

  it('fails when the fraction leaves no room for one max-model-len request of KV cache', () => {
    const r = startCheck({
      model: model('a', { maxModelLen: 131_072 }),
      totalBytes: TOTAL,
      free: [{ index: 0, freeBytes: TOTAL }],
      utilization: 0.2,
    })
    expect(!r.ok && r.message).toMatch(/To serve at least one request with the model's max seq len \(131072\)/)
  })
})

describe('the virtual workstation', () => {
  let ws: Workstation | null = null
  afterEach(async () => {
    await ws?.close()
    ws = null
  })
  const settled = (w: Workstation, id: string): Promise<string> =>
    new Promise((resolve) => {
      const sub = w.onChange(() => {
        const s = w.runs.get(id)!.state
        if (s === 'ready' || s === 'failed') {
          sub.dispose()
          resolve(s)
        }
      })
    })

  it('a start that fits serves over HTTP and shows in the telemetry; one that does not fit now fails, counted', async () => {
    // 1000×: 40 s of load take 40 ms.
    ws = new Workstation({
      gpus: 1,
      totalMiB: 24_564,
      reservedMiB: 400,
      models: [model('a'), model('b')],
      compression: 1000,
      idleMinutes: 0,
    })
    const b = ws.backends
    const a = settled(ws, 'a')
    b.start('a', { gpus: ['GPU-0'], args: { '--gpu-memory-utilization': 0.6 } })
    expect(await a).toBe('ready')
    const res = await fetch(`${ws.runs.get('a')!.endpoint}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'a', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 }),
    })
    expect(res.status).toBe(200)
    const snap = await new Promise<ReturnType<Workstation['gpu']['snapshot']>>((r) => {
      const sub = ws!.gpu.onSnapshot((s) => (sub.dispose(), r(s)))
    })
    expect(snap.gpus[0]!.memoryUsedMiB).toBe(Math.round(Math.ceil(TOTAL * 0.6) / MiB))
    // 0.6 + 0.6 > 1: vLLM's check refuses the second start.
    const second = settled(ws, 'b')
    b.start('b', { gpus: ['GPU-0'], args: { '--gpu-memory-utilization': 0.6 } })
    expect(await second).toBe('failed')
    expect(b.list().find((x) => x.id === 'b')!.diagnosis).toMatch(/Free memory on device cuda:0/)
    expect(ws.log.starts.map((s) => s.ok)).toEqual([true, false])
    // Stopping frees the memory: the same start now fits.
    await b.stop('a', 'manual')
    const third = settled(ws, 'b')
    b.start('b', { gpus: ['GPU-0'], args: { '--gpu-memory-utilization': 0.6 } })
    expect(await third).toBe('ready')
    expect(ws.log.stops).toEqual(['a manual'])
  })

  it('plain LRU as an admission: discovery stops the idle on-demand model, not the always-on one', async () => {
    ws = new Workstation({
      gpus: 1,
      totalMiB: 24_564,
      reservedMiB: 400,
      models: [model('e', { alwaysOn: true }), model('a'), model('b')],
      compression: 1000,
      idleMinutes: 0,
    })
    const up = Promise.all([settled(ws, 'e'), settled(ws, 'a')])
    ws.backends.start('e', { args: { '--gpu-memory-utilization': 0.1 } })
    ws.backends.start('a', { args: { '--gpu-memory-utilization': 0.2 } })
    await up
    const utilization = new Map([
      ['e', 0.1],
      ['a', 0.2],
      ['b', 0.2],
    ])
    const traffic = { inFlight: () => 0, lastUsedAt: () => null, onChange: () => ({ dispose: () => undefined }) }
    const admit = policyAdmission({ policy: lruPolicy(), ws, traffic, utilization, waitLimitMs: 1000 })
    const go = await admit.admit('b')
    expect(go).toMatchObject({ kind: 'go', gpus: [0], utilization: 0.2, evictions: [{ kind: 'stop', modelId: 'a' }] })
    expect(go.kind === 'go' && go.bytesPerGpu).toBe(Math.ceil(TOTAL * 0.2))
    admit.started('b', true)
    // The model to stop has a request in flight: the admission waits for it, and refuses after its wait limit.
    const busy = policyAdmission({
      policy: lruPolicy(),
      ws,
      traffic: { ...traffic, inFlight: (id: string) => (id === 'a' ? 1 : 0) },
      utilization,
      waitLimitMs: 30,
    })
    expect(await busy.admit('b')).toMatchObject({ kind: 'cannot-fit', message: expect.stringMatching(/waited too long/) })
  })

  it("sleep mode: the app's admin calls park and wake a model; asleep it keeps context and graphs, level 1 pins host RAM", async () => {
    // 200×: 40 s of load take 200 ms; a level-1 wake of 3.1 GiB (0.07 + 0.03 s/GiB sim seconds × 20) ≥ 16 ms.
    ws = new Workstation({
      gpus: 1,
      totalMiB: 24_564,
      reservedMiB: 400,
      models: [model('a'), model('b', { w: 6 })],
      compression: 200,
      idleMinutes: 0,
      sleepMode: true,
      hostFreeBytes: 8 * GiB,
    })
    const up = settled(ws, 'a')
    ws.start('a', { gpus: ['GPU-0'], args: { '--gpu-memory-utilization': 0.5 } })
    expect(await up).toBe('ready')
    const a = ws.runs.get('a')!
    const awake = a.heldBytes
    const { weightBytes, kvBytes } = a.plan!
    // SleepPark reads the weights from the start's line.
    expect(parseFootprint(ws.logLines('a')).weightsBytes).toBeCloseTo(3.1 * GiB, -7)
    const admin = vllmAdmin(a.endpoint!)
    await admin.sleep(1)
    expect(await admin.isSleeping()).toBe(true)
    expect(a.heldBytes).toBe(awake - weightBytes - kvBytes)
    expect(a.heldBytes).toBeGreaterThan(0.5 * GiB) // activation + non-torch + CUDA graphs stay
    expect(ws.hostFree()).toBe(8 * GiB - weightBytes)
    expect(parseSleepFacts(ws.logLines('a')).freedBytes).toBeCloseTo(weightBytes + kvBytes, -7)
    const snap = await new Promise<ReturnType<Workstation['gpu']['snapshot']>>((r) => {
      const sub = ws!.gpu.onSnapshot(
        (s) => s.gpus[0]!.memory.containers[0]?.usedMiB === Math.round(a.heldBytes / MiB) && (sub.dispose(), r(s)),
      )
    })
    expect(snap.gpus[0]!.memoryUsedMiB).toBe(Math.round(a.heldBytes / MiB))
    // Another model takes the freed memory: the wake cannot restore in place (CUDA OOM, a 500).
    const b = settled(ws, 'b')
    ws.start('b', { gpus: ['GPU-0'], args: { '--gpu-memory-utilization': 0.9 } })
    expect(await b).toBe('ready')
    await expect(admin.wakeUp(1)).rejects.toThrow(/refused POST \/wake_up: 500/)
    await ws.stop('b', 'manual')
    const t0 = performance.now()
    await admin.wakeUp(1)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(((0.07 + 0.03 * 3.1) * 20 * 1000) / 200 - 1)
    expect(a.heldBytes).toBe(awake)
    expect(ws.hostFree()).toBe(8 * GiB - weightBytes) // the pinned blocks stay after the wake (§1.5)
    // Level 2 pins nothing more and wakes in four steps (weights, reload_weights, KV, prefix cache).
    await admin.sleep(2)
    expect(a.heldBytes).toBe(awake - weightBytes - kvBytes)
    await admin.wakeUp(2)
    expect([a.heldBytes, await admin.isSleeping()]).toEqual([awake, false])
    await ws.stop('a', 'manual')
    expect(ws.hostFree()).toBe(8 * GiB)
  })
})
