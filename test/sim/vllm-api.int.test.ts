import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { PROFILES } from './gpus/profiles.js'
import { healthy, logs, removeTestContainers, request, runVllm, seededHub, smi, useSim, waitFor } from './support'

/**
 * The simulated vLLM's API features as a container gets them from `vllm serve` arguments and the environment
 * (gateway-facts §0, §3): several --served-model-name, --api-key / VLLM_API_KEY, the routes of the model's task,
 * multipart transcription, and a client disconnect that stops the work on the (simulated) GPU.
 */
const { env, docker } = useSim()
const repo = env.INFERADMIN_SIM_VLLM_IMAGE
const gpu = PROFILES.default!.gpus[1]!
let hub: Awaited<ReturnType<typeof seededHub>>

beforeAll(async () => {
  hub = await seededHub()
})
afterEach(() => removeTestContainers(docker))
afterAll(() => hub.remove())

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})
const utilization = async () =>
  Number((await smi([`--id=${gpu.uuid}`, '--query-gpu=utilization.gpu', '--format=csv,noheader,nounits'])).stdout.trim())
const running = async (port: number) =>
  Number(/^vllm:num_requests_running\{[^}]*\} (\d+)/m.exec(await (await request(port, '/metrics')).text())?.[1] ?? NaN)

describe('simulated vLLM API in a container (real dockerd, simulated GPU)', () => {
  it('serves two names behind two keys; a disconnecting stream client leaves nothing running on the GPU', async () => {
    const { container, port } = await runVllm(docker, {
      image: `${repo}:latest`,
      hubDir: hub.dir,
      gpus: [gpu.uuid],
      args: [hub.chat, '--served-model-name', 'chat', 'chat-alias', '--api-key', 'k1', 'k2', '--gpu-memory-utilization', '0.3'],
      env: ['INFERADMIN_SIM_TOKENS_PER_S=4'],
    })
    await healthy(port)
    const out = (await logs(container)).stdout
    expect(out).toMatch(/Supported_tasks: \['generate'\]/)
    expect(out).toMatch(/Route: \/v1\/messages, Methods: POST/)
    expect(out).not.toMatch(/Route: \/v1\/embeddings/)
    expect(out).toMatch(/non-default args: \{.*'api_key': \['\[REDACTED\]'\]/)

    const bare = await request(port, '/v1/models')
    expect([bare.status, await bare.json()]).toEqual([401, { error: 'Unauthorized' }])
    const auth = { authorization: 'Bearer k2' }
    const models = (await (await request(port, '/v1/models', { headers: auth })).json()) as { data: { id: string; root: string }[] }
    expect(models.data.map((m) => [m.id, m.root])).toEqual([
      ['chat', hub.chat],
      ['chat-alias', hub.chat],
    ])
    const chat = (model: string, extra = {}) => json({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2, ...extra }, auth)
    const alias = await request(port, '/v1/chat/completions', chat('chat-alias'), 5_000)
    expect([alias.status, ((await alias.json()) as { model: string }).model]).toEqual([200, 'chat'])
    const wrong = await request(port, '/v1/chat/completions', chat('nope'))
    expect([wrong.status, await wrong.json()]).toEqual([
      404,
      { error: { message: 'The model `nope` does not exist.', type: 'NotFoundError', param: 'model', code: 404 } },
    ])
    expect((await request(port, '/v1/embeddings', json({ input: 'x' }, auth))).status).toBe(404)

    // a stream that the client abandons after its first token
    const ac = new AbortController()
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      ...chat('chat', { stream: true, max_tokens: 100 }),
      signal: ac.signal,
    })
    await res.body!.getReader().read()
    expect(await running(port)).toBe(1)
    await waitFor('GPU busy', async () => (await utilization()) >= 90, 5_000, 50)
    ac.abort()
    await waitFor('nothing running upstream', async () => (await running(port)) === 0, 5_000, 50)
    await waitFor('GPU idle again', async () => (await utilization()) === 0, 5_000, 50)
    const metrics = await (await request(port, '/metrics')).text()
    expect(metrics).toMatch(/^vllm:request_success_total\{engine="0",model_name="chat",finished_reason="abort"\} 1\.0$/m)
    await container.stop({ t: 10 })
  })

  it('an embedding model with VLLM_API_KEY on the 2026-05 nightly: /v1 and /v2 guarded, /rerank open, chat not mounted', async () => {
    const { port } = await runVllm(docker, {
      image: `${repo}:nightly`,
      hubDir: hub.dir,
      gpus: [gpu.uuid],
      args: [hub.embed, '--gpu-memory-utilization', '0.3'],
      env: ['VLLM_API_KEY=secret'],
    })
    await healthy(port)
    const auth = { authorization: 'Bearer secret' }
    const emb = await request(port, '/v1/embeddings', json({ model: hub.embed, input: ['red apple', 'blue sky'] }, auth))
    const body = (await emb.json()) as { model: string; data: { embedding: number[] }[] }
    expect([emb.status, body.model, body.data.length, body.data[0]!.embedding.length]).toEqual([200, hub.embed, 2, 384])
    expect((await request(port, '/v1/embeddings', json({ input: 'x' }))).status).toBe(401)
    expect((await request(port, '/v2/rerank', json({ query: 'q', documents: ['d'] }))).status).toBe(401)
    const rr = await request(port, '/rerank', json({ query: 'red apple', documents: ['blue sky', 'red apple pie'] }))
    expect(rr.status).toBe(200)
    expect(((await rr.json()) as { results: { index: number }[] }).results[0]!.index).toBe(1)
    const c = await request(port, '/v1/chat/completions', json({ messages: [{ role: 'user', content: 'Hi' }] }, auth))
    expect([c.status, await c.json()]).toEqual([404, { detail: 'Not Found' }])
  })

  it('a Whisper model transcribes a multipart upload; the model field is optional', async () => {
    const { port } = await runVllm(docker, {
      image: `${repo}:latest`,
      hubDir: hub.dir,
      gpus: [gpu.uuid],
      args: [hub.whisper, '--served-model-name', 'whisper-1', '--gpu-memory-utilization', '0.3'],
    })
    await healthy(port)
    const form = new FormData()
    form.append('model', 'whisper-1')
    form.append('file', new Blob([Buffer.alloc(48_000, 3)], { type: 'audio/mpeg' }), 'speech.mp3')
    const r = await request(port, '/v1/audio/transcriptions', { method: 'POST', body: form }, 5_000)
    expect([r.status, await r.json()]).toEqual([200, { text: expect.any(String), usage: { type: 'duration', seconds: 3 } }])
    const noModel = new FormData()
    noModel.append('file', new Blob([Buffer.alloc(16_000)]), 'a.mp3')
    expect((await request(port, '/v1/audio/translations', { method: 'POST', body: noModel }, 5_000)).status).toBe(200)
    expect((await request(port, '/v1/chat/completions', json({ messages: [] }))).status).toBe(404)
  })
})
