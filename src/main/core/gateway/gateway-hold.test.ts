import { afterEach, describe, expect, it } from 'vitest'
import type { GatewayLogEntry } from './request-log'
import { gatewayHarness, readSse, type Harness } from './gateway-harness.fixture'

let h: Harness | null = null
afterEach(async () => {
  await h?.close()
  h = null
})

const chat = (o: Record<string, unknown> = {}) => ({ model: 'qwen', messages: [{ role: 'user', content: 'hi' }], ...o })

/** Resolves with the next request-log entry that matches. */
const nextEntry = (hh: Harness, match: (e: GatewayLogEntry) => boolean): Promise<GatewayLogEntry> =>
  new Promise((resolve) => {
    const sub = hh.gw.log.subscribe((e) => {
      if (!match(e)) return
      sub.dispose()
      resolve(e)
    })
  })

/** Makes start() only record the call; resolves when it is called. */
const startCalled = (hh: Harness): Promise<void> =>
  new Promise((resolve) => {
    hh.backends.onStart = (id) => {
      hh.backends.set(id, { state: 'creating' })
      resolve()
    }
  })

describe('gateway: on demand (real HTTP)', () => {
  it('starts a cold model once for 20 concurrent requests and answers them all', async () => {
    h = await gatewayHarness()
    const hh = h
    startCalled(hh)
    const allHeld = new Promise<void>((r) => hh.gw.onActivity(() => hh.gw.status().models[0]?.held === 20 && r()))
    const replies = Array.from({ length: 20 }, () => hh.post('/v1/chat/completions', chat()).then(async (r) => [r.status, await r.json()]))
    await allHeld
    expect(hh.backends.starts).toEqual(['q'])
    hh.backends.set('q', { state: 'loading' })
    hh.backends.set('q', { state: 'ready', endpoint: await hh.vllm.listen() })
    const answers = await Promise.all(replies)
    expect(h.backends.starts).toEqual(['q'])
    expect(answers.every(([status]) => status === 200)).toBe(true)
    expect(h.vllm.received).toHaveLength(20)
    const log = h.gw.log.list()
    expect(log.every((e) => e.coldStart && e.heldMs !== null && e.status === 200)).toBe(true)
    expect(await h.registry.metrics()).toContain('inferadmin_gateway_cold_starts_total{model="qwen3-8b"} 1')
  })

  it('shows load progress to a held streaming chat as reasoning_content, then the answer; none in non-streaming answers', async () => {
    h = await gatewayHarness()
    const res = await h.post('/v1/chat/completions', chat({ stream: true }))
    expect(res.status).toBe(200)
    const { data } = await readSse(res)
    const chunks = data
      .filter((d) => d !== '[DONE]')
      .map((d) => JSON.parse(d) as { choices: { delta: { reasoning_content?: string; content?: string } }[] })
    const reasoning = chunks.map((c) => c.choices[0]?.delta.reasoning_content ?? '').join('')
    expect(reasoning).toContain('Loading qwen…')
    expect(reasoning).toContain('loading weights 50% (about 3 s left)')
    expect(reasoning).toMatch(/Ready after \d+\.\d s\./)
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello!')
    expect(data.at(-1)).toBe('[DONE]')

    await h.gw.unload('qwen')
    const plain = await h.post('/v1/chat/completions', chat())
    expect(((await plain.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('Hello!')
    expect(h.backends.starts).toEqual(['q', 'q'])
  })

  it('sends no progress when the setting is off', async () => {
    h = await gatewayHarness({ options: { loadProgress: false } })
    const { data } = await readSse(await h.post('/v1/chat/completions', chat({ stream: true })))
    expect(data.some((d) => d.includes('reasoning_content'))).toBe(false)
  })

  it('answers held requests with 503 and the diagnosis when the start fails, as an SSE error event in a started stream', async () => {
    h = await gatewayHarness()
    const hh = h
    const called = startCalled(hh)
    const plain = hh.post('/v1/chat/completions', chat())
    const streamed = hh.post('/v1/chat/completions', chat({ stream: true }))
    await called
    const streamHead = await streamed
    hh.backends.set('q', { state: 'loading' })
    hh.backends.set('q', { state: 'failed', diagnosis: 'CUDA out of memory: the model needs 2.1 GiB more than GPU 0 has free.' })
    const r = await plain
    expect(r.status).toBe(503)
    expect(r.headers.get('x-should-retry')).toBe('false')
    expect(await r.json()).toEqual({
      error: {
        message: 'The model `qwen3-8b` could not be loaded: CUDA out of memory: the model needs 2.1 GiB more than GPU 0 has free.',
        type: 'server_error',
        param: null,
        code: 'model_load_failed',
      },
    })
    const { data } = await readSse(streamHead)
    expect(data.at(-1)).toBe('[DONE]')
    expect(JSON.parse(data.at(-2) as string)).toMatchObject({ error: { code: 'model_load_failed' } })
    expect(hh.vllm.received).toHaveLength(0)
  })

  it('drops a held request whose client goes away: nothing reaches the model', async () => {
    h = await gatewayHarness()
    const hh = h
    const called = startCalled(hh)
    const ac = new AbortController()
    const gone = nextEntry(hh, (e) => e.status === 499)
    const held = hh.post('/v1/chat/completions', chat(), {}, ac.signal).catch(() => 'aborted')
    await called
    expect(hh.gw.status().models[0]).toMatchObject({ name: 'qwen3-8b', state: 'loading', held: 1, inFlight: 0 })
    ac.abort()
    expect(await held).toBe('aborted')
    expect((await gone).coldStart).toBe(true)
    expect(hh.gw.status().models[0]?.held).toBe(0)
    hh.backends.set('q', { state: 'ready', endpoint: await hh.vllm.listen() })
    expect((await hh.post('/v1/chat/completions', chat())).status).toBe(200)
    expect(hh.vllm.received).toHaveLength(1)
  })

  it('refuses a request over the queue limit with 429 and Retry-After, before any stream starts', async () => {
    h = await gatewayHarness({ options: { queueLimit: 1 } })
    const hh = h
    const called = startCalled(hh)
    const first = hh.post('/v1/chat/completions', chat())
    await called
    const second = await hh.post('/v1/chat/completions', chat({ stream: true }))
    expect(second.status).toBe(429)
    expect(second.headers.get('retry-after')).toBe('5')
    expect(((await second.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error')
    hh.backends.set('q', { state: 'ready', endpoint: await hh.vllm.listen() })
    expect((await first).status).toBe(200)
  })

  it('gives up after the maximum wait with 503 and Retry-After', async () => {
    h = await gatewayHarness({ options: { maxWaitMs: 50 } })
    const hh = h
    const called = startCalled(hh)
    const res = hh.post('/v1/chat/completions', chat())
    await called
    hh.backends.set('q', { state: 'loading', phase: 'loading weights', etaSeconds: 20 })
    const r = await res
    expect(r.status).toBe(503)
    expect(r.headers.get('retry-after')).toBe('20')
    expect(((await r.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'model_loading',
      message: expect.stringContaining('(loading weights, about 20 s left)'),
    })
  })
})

describe('gateway: idle unload and always-on (real HTTP)', () => {
  it('does not unload a model while a stream is open, and unloads it idleMinutes after the stream ends', async () => {
    h = await gatewayHarness({ ready: true })
    const hh = h
    const gate = hh.vllm.gate()
    const firstChunk = hh.vllm.firstChunk()
    const res = await hh.post('/v1/chat/completions', chat({ stream: true }))
    await firstChunk
    // 60 ms, set only now: counted from becoming ready, it could otherwise run out before the request arrives.
    hh.backends.set('q', { idleMinutes: 0.001 })
    expect(hh.gw.status().models[0]).toMatchObject({ inFlight: 1, unloadAt: null })
    expect(hh.backends.stops).toEqual([])
    const stopped = hh.backends.nextStop()
    gate.open()
    const ended = Date.now()
    await res.text()
    expect(await stopped).toEqual({ id: 'q', reason: 'idle' })
    expect(Date.now() - ended).toBeGreaterThanOrEqual(55)
    expect(await hh.registry.metrics()).toContain('inferadmin_gateway_unloads_total{model="qwen3-8b",reason="idle"} 1')
    expect(hh.gw.status().models[0]).toMatchObject({ state: 'cold', inFlight: 0, unloadAt: null })
  })

  it('starts always-on models with the gateway and never unloads them', async () => {
    h = await gatewayHarness({ backend: { serve: 'always-on', idleMinutes: 0.001 } })
    expect(h.backends.starts).toEqual(['q'])
    const r = await h.post('/v1/chat/completions', chat())
    expect(r.status).toBe(200)
    expect(h.gw.status().models[0]?.unloadAt).toBeNull()
  })

  it('loads and unloads by name on request', async () => {
    h = await gatewayHarness()
    const hh = h
    const ready = new Promise<void>((r) => hh.backends.onChange(() => hh.backends.get('q').state === 'ready' && r()))
    hh.gw.load('Qwen 8B')
    await ready
    expect(hh.gw.status().models[0]?.state).toBe('loaded')
    await hh.gw.unload('chat')
    expect(hh.backends.stops).toEqual([{ id: 'q', reason: 'manual' }])
    expect(() => hh.gw.load('nope')).toThrow(/does not exist/)
  })
})
