import { request } from 'node:http'
import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../logging/logger'
import { FakeBackends } from './fake-backends.fixture'
import { BACKEND_KEY, externalIPv4, gatewayHarness, readSse, type Harness } from './gateway-harness.fixture'
import { GatewayServer } from './gateway-server'

let h: Harness | null = null
afterEach(async () => {
  await h?.close()
  h = null
})

describe('gateway: routing and proxying (real HTTP)', () => {
  it('lists every routable model at once with state and max_model_len, off ones left out', async () => {
    h = await gatewayHarness()
    const res = await fetch(`${h.base}/v1/models`)
    expect(res.status).toBe(200)
    const list = (await res.json()) as {
      object: string
      data: { id: string; state: string; max_model_len: number | null; object: string }[]
    }
    expect(list.object).toBe('list')
    expect(list.data.map((m) => [m.id, m.object, m.state, m.max_model_len])).toEqual([
      ['qwen', 'model', 'cold', 32768],
      ['qwen3-8b', 'model', 'cold', 32768],
    ])
    expect(h.vllm.received).toHaveLength(0)
    const one = await fetch(`${h.base}/v1/models/chat`)
    expect(((await one.json()) as { id: string }).id).toBe('qwen3-8b')
  })

  it('forwards a chat body byte for byte with the backend key instead of the client credentials and hop-by-hop headers', async () => {
    h = await gatewayHarness({ ready: true })
    const body = '{ "model":"qwen3-8b",\n "messages":[{"role":"user","content":"héllo \\u00e9"}], "temperature": 0.50 }'
    // node:http: fetch refuses to send hop-by-hop headers at all.
    const headers = {
      authorization: 'Bearer EMPTY',
      'x-api-key': 'client',
      'x-custom': 'kept',
      connection: 'keep-alive, x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
    }
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${h?.base}/v1/chat/completions`,
        { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } },
        (res) => {
          let text = ''
          res.setEncoding('utf8').on('data', (c: string) => (text += c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        },
      )
      req.on('error', reject).end(body)
    })
    expect(answer.status).toBe(200)
    expect((JSON.parse(answer.text) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('Hello!')
    const got = h.vllm.received[0]
    expect(got?.body.equals(Buffer.from(body))).toBe(true)
    expect(got?.headers.authorization).toBe(`Bearer ${BACKEND_KEY}`)
    expect(got?.headers['x-api-key']).toBeUndefined()
    expect(got?.headers['keep-alive']).toBeUndefined()
    expect(got?.headers['x-hop']).toBeUndefined()
    expect(got?.headers['x-custom']).toBe('kept')
    const [entry] = h.gw.log.list()
    expect(entry).toMatchObject({
      model: 'qwen3-8b',
      backend: 'qwen3-8b',
      status: 200,
      tokensIn: 11,
      tokensOut: 3,
      coldStart: false,
      key: null,
    })
    const lastUsed = Date.parse(h.gw.status().models[0]?.lastUsed ?? '')
    expect(Math.abs(Date.now() - lastUsed)).toBeLessThan(10_000)
  })

  it('routes an alias, the repo id and the deployment name, swapping in the served name and nothing else', async () => {
    h = await gatewayHarness({ ready: true })
    for (const name of ['chat', 'Qwen/Qwen3-8B', 'qwen 8b']) {
      const res = await h.post('/v1/embeddings', `{"input":"x","model":${JSON.stringify(name)},"encoding_format":"float"}`)
      expect(res.status).toBe(200)
      expect(((await res.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(4)
    }
    expect(h.vllm.received.map((r) => r.body.toString())).toEqual(
      Array(3).fill('{"input":"x","model":"qwen3-8b","encoding_format":"float"}'),
    )
  })

  it('routes an audio transcription by its multipart model field', async () => {
    h = await gatewayHarness({ ready: true })
    const form = new FormData()
    form.append('file', new Blob([Buffer.from('RIFF fake wav')], { type: 'audio/wav' }), 'a.wav')
    form.append('model', 'chat')
    const res = await fetch(`${h.base}/v1/audio/transcriptions`, { method: 'POST', body: form })
    expect(await res.json()).toEqual({ text: 'transcribed by qwen3-8b' })
  })

  it('answers an unknown model with 404 in OpenAI shape naming the models, and a missing model with 400', async () => {
    h = await gatewayHarness({ ready: true })
    const res = await h.post('/v1/chat/completions', { model: 'gpt-4o', messages: [] })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({
      error: {
        message: 'The model `gpt-4o` does not exist. Available models: qwen3-8b.',
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      },
    })
    const missing = await h.post('/v1/chat/completions', { messages: [] })
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('model_required')
    const off = await h.post('/v1/embeddings', { model: 'bge-m3', input: 'x' })
    expect(off.status).toBe(404)
    expect(h.vllm.received).toHaveLength(0)
  })

  it('refuses a body over the limit with 413 before anything goes upstream', async () => {
    h = await gatewayHarness({ ready: true, options: { maxBodyBytes: 1024 } })
    const res = await h.post('/v1/chat/completions', { model: 'qwen', messages: [{ role: 'user', content: 'x'.repeat(2000) }] })
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large')
    expect(h.vllm.received).toHaveLength(0)
  })

  it('streams SSE without buffering: the first chunk arrives while the backend still holds the rest', async () => {
    h = await gatewayHarness({ ready: true })
    const gate = h.vllm.gate()
    const res = await h.post('/v1/chat/completions', { model: 'qwen', stream: true, stream_options: { include_usage: true }, messages: [] })
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    expect(res.headers.get('x-accel-buffering')).toBe('no')
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toContain('"role":"assistant"')
    gate.open()
    let rest = ''
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value)
    expect(rest).toContain('"content":"Hel"')
    expect(rest.trimEnd().endsWith('data: [DONE]')).toBe(true)
    expect(h.gw.log.list()[0]).toMatchObject({ status: 200, tokensIn: 11, tokensOut: 3 })
    expect(h.gw.log.list()[0]?.ttftMs).toBeGreaterThanOrEqual(0)
  })

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    h = await gatewayHarness({ ready: true })
    h.vllm.gate()
    const ac = new AbortController()
    const upstreamAborted = h.vllm.nextAbort()
    const res = await h.post('/v1/chat/completions', { model: 'qwen', stream: true, messages: [] }, {}, ac.signal)
    await (res.body as ReadableStream<Uint8Array>).getReader().read()
    ac.abort()
    await upstreamAborted
    expect(h.vllm.aborted).toHaveLength(1)
    await new Promise<void>((r) => (h?.gw.log.list()[0] ? r() : h?.gw.log.subscribe(() => r())))
    expect(h.gw.log.list()[0]?.status).toBe(499)
  })

  it('passes the backend error through as it is', async () => {
    h = await gatewayHarness({ ready: true })
    h.vllm.servedNames = ['renamed']
    const res = await h.post('/v1/chat/completions', { model: 'qwen', messages: [] })
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('NotFoundError')
  })

  it('answers 502 in OpenAI shape when the backend does not answer', async () => {
    h = await gatewayHarness({ ready: true })
    await h.vllm.close()
    const res = await h.post('/v1/chat/completions', { model: 'qwen', messages: [] })
    expect(res.status).toBe(502)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_unreachable')
  })

  it('counts requests, latency and tokens in the registry', async () => {
    h = await gatewayHarness({ ready: true })
    await (await h.post('/v1/chat/completions', { model: 'qwen', messages: [] })).text()
    await (await h.post('/v1/chat/completions', { model: 'nope', messages: [] })).text()
    const text = await h.registry.metrics()
    expect(text).toContain('inferadmin_gateway_requests_total{model="qwen3-8b",status="200"} 1')
    expect(text).toContain('inferadmin_gateway_requests_total{model="(unknown)",status="404"} 1')
    expect(text).toContain('inferadmin_gateway_tokens_total{model="qwen3-8b",direction="out"} 3')
    expect(text).toMatch(/inferadmin_gateway_request_duration_seconds_count\{model="qwen3-8b"\} 1/)
  })
})

describe('gateway: keys', () => {
  it('needs a key on loopback when the setting says so, refuses a revoked one, and limits requests per minute', async () => {
    h = await gatewayHarness({ ready: true, options: { requireKeyOnLoopback: true } })
    const none = await h.post('/v1/chat/completions', { model: 'qwen', messages: [] })
    expect(none.status).toBe(401)
    expect(((await none.json()) as { error: { code: string; type: string } }).error).toMatchObject({
      code: 'invalid_api_key',
      type: 'invalid_request_error',
    })
    expect((await fetch(`${h.base}/v1/models`)).status).toBe(401)

    const { key, info } = h.keys.create({ name: 'ci', requestsPerMinute: 2 })
    const auth = { authorization: `Bearer ${key}` }
    expect((await h.post('/v1/chat/completions', { model: 'qwen', messages: [] }, auth)).status).toBe(200)
    expect(h.gw.log.list()[0]?.key).toBe('ci')
    expect((await h.post('/v1/chat/completions', { model: 'qwen', messages: [] }, { 'x-api-key': key })).status).toBe(200)
    const limited = await h.post('/v1/chat/completions', { model: 'qwen', messages: [] }, auth)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(59)
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded')

    h.keys.revoke(info.id)
    const revoked = await h.post('/v1/chat/completions', { model: 'qwen', messages: [] }, auth)
    expect(revoked.status).toBe(401)
    expect(((await revoked.json()) as { error: { message: string } }).error.message).toContain('revoked or never existed')
    expect(h.vllm.received).toHaveLength(2)
  })

  it.skipIf(!externalIPv4)('needs a key from another address: none or a wrong one → 401, a valid one passes', async () => {
    h = await gatewayHarness({ ready: true, options: { host: '0.0.0.0' } })
    const url = `http://${externalIPv4}:${h.gw.port}/v1/chat/completions`
    const call = (headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"model":"qwen","messages":[]}' })
    const none = await call()
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toContain('Bearer')
    expect((await call({ authorization: 'Bearer EMPTY' })).status).toBe(401)
    const { key } = h.keys.create({ name: 'remote' })
    expect((await call({ authorization: `Bearer ${key}` })).status).toBe(200)
    // From this machine the same gateway needs none.
    expect((await h.post('/v1/chat/completions', { model: 'qwen', messages: [] })).status).toBe(200)
  })
})

describe('gateway: lifecycle', () => {
  it('reports a port in use as EADDRINUSE naming the port and the fix, without throwing, and can start once it is free', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    const gw = new GatewayServer({
      backends: new FakeBackends([]),
      keys: { verify: () => null },
      logger: silentLogger(),
      options: { port, host: '127.0.0.1' },
    })
    const r = await gw.start()
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('EADDRINUSE')
      expect(r.error.message).toContain(`Port ${port} is in use`)
      expect(r.error.fix).toContain('choose another gateway port in Settings')
    }
    expect(gw.status()).toMatchObject({ running: false, url: null, error: { code: 'EADDRINUSE' } })
    await new Promise<void>((r) => blocker.close(() => r()))
    expect(await gw.start()).toEqual({ ok: true, url: `http://127.0.0.1:${port}/v1` })
    expect(gw.status()).toMatchObject({ running: true, error: null })
    await gw.dispose()
  })

  it('answers unknown routes and wrong methods in OpenAI shape', async () => {
    h = await gatewayHarness({ ready: true })
    const unknown = await fetch(`${h.base}/v1/files`)
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('unknown_route')
    const get = await fetch(`${h.base}/v1/chat/completions`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    const sse = await readSse(await h.post('/v1/chat/completions', { model: 'qwen', stream: true, messages: [] }))
    expect(sse.data.at(-1)).toBe('[DONE]')
  })
})
