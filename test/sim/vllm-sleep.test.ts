import { describe, expect, it } from 'vitest'
import { GiB, parseFootprint, parseSleepFacts } from '../../src/main/core/planner/footprint-lines'
import { chat } from './vllm-api-support'
import { engine, usedMiB } from './vllm-sleep-support'
import { buildParser, parseArgs } from './vllm/argparse.js'

/**
 * Sleep mode of the simulated vLLM (gateway-facts §1), in-process: the real engine startup on a simulated GPU, the
 * real HTTP server with the dev-mode routes, and the planner's parser reading the lines it prints.
 */
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
