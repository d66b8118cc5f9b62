import { describe, expect, it } from 'vitest'
import { waitFor } from './support'
import { body, chat, sim } from './vllm-api-support'

// The simulated vLLM's HTTP API in-process; the container path (arguments → server) is in vllm.int.test.ts.

const sse = async (r: Response) =>
  (await r.text())
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.replace(/^data: /, ''))

describe('served names, --api-key and the error shapes (gateway-facts §0, §3.2, §3.3)', () => {
  it("refuses /v1 without a key with vLLM's 401 body; lists one card per served name; routes any name and echoes the first", async () => {
    const s = await sim({ keys: ['k1', 'k2'] })
    const bare = await fetch(`${s.base}/v1/models`)
    expect([bare.status, await body(bare)]).toEqual([401, { error: 'Unauthorized' }])
    expect((await s.post('/v1/chat/completions', chat('qwen'))).status).toBe(401)
    expect((await fetch(`${s.base}/health`)).status).toBe(200)
    expect((await s.post('/tokenize', { prompt: 'open route' })).status).toBe(200)
    const auth = { authorization: 'Bearer k2' }
    const models = await body(fetch(`${s.base}/v1/models`, { headers: auth }))
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(['qwen', 'qwen-alias'])
    for (const card of models.data)
      expect(card).toMatchObject({ object: 'model', owned_by: 'vllm', root: 'org/model', parent: null, max_model_len: 4096 })
    for (const model of ['qwen-alias', undefined, '']) {
      const r = await s.post('/v1/chat/completions', chat(model), auth)
      expect(r.status).toBe(200)
      expect((await body(r)).model).toBe('qwen')
    }
    const wrong = await s.post('/v1/chat/completions', chat('gpt-4o'), auth)
    expect([wrong.status, await body(wrong)]).toEqual([
      404,
      { error: { message: 'The model `gpt-4o` does not exist.', type: 'NotFoundError', param: 'model', code: 404 } },
    ])
  })

  it('answers bad requests as FastAPI and vLLM do: 400 validation, 404/405 detail, unsupported media type', async () => {
    const s = await sim()
    const noMessages = await s.post('/v1/chat/completions', { model: 'qwen' })
    const err = await body(noMessages)
    expect(noMessages.status).toBe(400)
    expect(err.error).toMatchObject({ type: 'Bad Request', code: 400, param: null })
    expect(err.error.message).toContain(
      "{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required', 'input': {'model': 'qwen'}}",
    )
    const opts = await body(s.post('/v1/chat/completions', chat('qwen', { stream_options: { include_usage: true } })))
    expect(opts.error.message).toContain('Stream options can only be defined when `stream=True`.')
    const text = await fetch(`${s.base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })
    expect(text.status).toBe(400)
    expect((await body(text)).error.message).toContain("Unsupported Media Type: Only 'application/json' is allowed")
    const get = await fetch(`${s.base}/v1/chat/completions`)
    expect([get.status, get.headers.get('allow'), await body(get)]).toEqual([405, 'POST', { detail: 'Method Not Allowed' }])
    const none = await fetch(`${s.base}/v1/nothing`)
    expect([none.status, await body(none)]).toEqual([404, { detail: 'Not Found' }])
  })

  it('a route of another task: 404 Not Found from v0.21.0, 400 "does not support" before (flat body in v0.10.0)', async () => {
    const s21 = await sim()
    const r21 = await s21.post('/v1/embeddings', { input: 'x' })
    expect([r21.status, await body(r21)]).toEqual([404, { detail: 'Not Found' }])
    const s12 = await sim({ tag: 'v0.12.0' })
    const r12 = await s12.post('/v1/embeddings', { input: 'x' })
    expect([r12.status, await body(r12)]).toEqual([
      400,
      { error: { message: 'The model does not support Embeddings API', type: 'BadRequestError', param: null, code: 400 } },
    ])
    const s10 = await sim({ tag: 'v0.10.0', arch: 'BertModel' })
    expect(await body(s10.post('/v1/chat/completions', chat('qwen')))).toEqual({
      object: 'error',
      message: 'The model does not support Chat Completions API',
      type: 'BadRequestError',
      param: null,
      code: 400,
    })
  })
})

describe('generation routes', () => {
  it('streams chat with stream_options.include_usage: usage only in one last chunk with empty choices, then [DONE]', async () => {
    const s = await sim()
    const events = await sse(await s.post('/v1/chat/completions', chat('qwen', { stream: true, stream_options: { include_usage: true } })))
    expect(events.at(-1)).toBe('[DONE]')
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e))
    const last = chunks.at(-1)
    expect(last).toMatchObject({ object: 'chat.completion.chunk', model: 'qwen', choices: [], usage: { completion_tokens: 5 } })
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined && c.choices.length === 1)).toBe(true)
    expect(chunks.at(-2).choices[0].finish_reason).toBe('length')
  })

  it('tokenize counts the prompt the way chat usage does, and detokenize gives the text back', async () => {
    const s = await sim()
    const messages = [{ role: 'user', content: 'How many tokens is this?' }]
    const tok = await body(s.post('/tokenize', { model: 'qwen', messages }))
    const usage = (await body(s.post('/v1/chat/completions', { messages, max_tokens: 1 }))).usage
    expect(tok).toMatchObject({ count: usage.prompt_tokens, max_model_len: 4096, token_strs: null })
    const t = await body(s.post('/tokenize', { prompt: 'A round trip.' }))
    expect(await body(s.post('/detokenize', { tokens: t.tokens }))).toEqual({ prompt: 'A round trip.' })
  })

  it('serves completions, the Responses API (JSON and typed events) and Anthropic Messages', async () => {
    const s = await sim()
    const c = await body(s.post('/v1/completions', { model: 'qwen-alias', prompt: 'Once', max_tokens: 3 }))
    expect(c).toMatchObject({
      object: 'text_completion',
      model: 'qwen',
      choices: [{ finish_reason: 'length' }],
      usage: { completion_tokens: 3 },
    })
    const r = await body(s.post('/v1/responses', { model: 'qwen', input: 'Hi', max_output_tokens: 4 }))
    expect(r).toMatchObject({ object: 'response', status: 'completed', model: 'qwen', usage: { output_tokens: 4 } })
    expect(r.output[0]).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'output_text' }] })
    const events = (await (await s.post('/v1/responses', { input: 'Hi', max_output_tokens: 2, stream: true })).text())
      .split('\n\n')
      .filter(Boolean)
    const types = events.map((e) => /^event: (\S+)/.exec(e)?.[1])
    expect(types[0]).toBe('response.created')
    expect(types.at(-1)).toBe('response.completed')
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(2)
    const m = await body(await s.post('/v1/messages', { model: 'qwen-alias', max_tokens: 3, messages: [{ role: 'user', content: 'Hi' }] }))
    expect(m).toMatchObject({ type: 'message', role: 'assistant', model: 'qwen', stop_reason: 'max_tokens', usage: { output_tokens: 3 } })
    const unknown = await s.post('/v1/messages', { model: 'claude', max_tokens: 3, messages: [] })
    expect([unknown.status, await body(unknown)]).toEqual([
      404,
      { type: 'error', error: { type: 'NotFoundError', message: 'The model `claude` does not exist.' } },
    ])
    const noModel = await s.post('/v1/messages', { max_tokens: 3, messages: [] })
    expect(noModel.status).toBe(400)
    expect((await body(noModel)).error.message).toContain("'loc': ('body', 'model')")
    expect(
      (await body(s.post('/v1/messages/count_tokens', { model: 'qwen', messages: [{ role: 'user', content: 'Hi' }] }))).input_tokens,
    ).toBeGreaterThan(0)
  })

  it('a client that goes away mid-stream stops the generation: running gauge and GPU load back to 0, counted as abort', async () => {
    const s = await sim({ tokensPerS: 5 })
    const ac = new AbortController()
    const res = await fetch(`${s.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('qwen', { stream: true, max_tokens: 1000 })),
      signal: ac.signal,
    })
    const reader = res.body!.getReader()
    await reader.read()
    const metric = async (re: RegExp) => Number(re.exec(await (await fetch(`${s.base}/metrics`)).text())?.[1])
    expect(await metric(/^vllm:num_requests_running\{[^}]*\} (\d+)/m)).toBe(1)
    ac.abort()
    await waitFor('running back to 0', async () => (await metric(/^vllm:num_requests_running\{[^}]*\} (\d+)/m)) === 0, 5_000, 20)
    expect(s.loads.at(-1)).toBe(0)
    expect(await metric(/^vllm:request_success_total\{[^}]*finished_reason="abort"\} ([\d.]+)/m)).toBe(1)
    // a finished answer has 12–24 words; at 5 tokens/s only the first few went out before the abort
    expect(s.stats.generationTokens).toBeLessThan(6)
    expect(s.stats.success.stop).toBe(0)
  })
})
