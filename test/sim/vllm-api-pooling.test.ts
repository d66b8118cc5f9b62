import { describe, expect, it } from 'vitest'
import { body, chat, sim } from './vllm-api-support'

// Pooling and speech-to-text routes of the simulated vLLM, in-process (gateway-facts §3 table).

describe('embedding models (BertModel: embed task, scoring enabled)', () => {
  it('embeds text deterministically as floats or base64 float32 (what the openai SDK asks for)', async () => {
    const s = await sim({ arch: 'BertModel', names: ['embed'] })
    const f = await body(s.post('/v1/embeddings', { input: ['red apple', 'red apple'] }))
    expect(f).toMatchObject({ object: 'list', model: 'embed', usage: { prompt_tokens: 6, completion_tokens: 0 } })
    expect(f.data.map((d: { index: number; object: string }) => [d.index, d.object])).toEqual([
      [0, 'embedding'],
      [1, 'embedding'],
    ])
    const v = f.data[0].embedding as number[]
    expect(v).toHaveLength(64)
    expect(f.data[1].embedding).toEqual(v)
    expect(Math.hypot(...v)).toBeCloseTo(1, 6)
    const b = await body(s.post('/v1/embeddings', { input: 'red apple', encoding_format: 'base64' }))
    const bytes = Buffer.from(b.data[0].embedding, 'base64')
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4))
    decoded.forEach((x, i) => expect(x).toBeCloseTo(v[i]!, 6))
    const dims = await s.post('/v1/embeddings', { input: 'x', dimensions: 8 })
    expect(dims.status).toBe(400)
    expect((await body(dims)).error.message).toMatch(/does not support matryoshka representation/)
    const none = await s.post('/v1/embeddings', { model: 'embed' })
    expect((await body(none)).error.message).toContain("('body', 'EmbeddingCompletionRequest', 'input')")
    expect((await s.post('/v1/chat/completions', chat('embed'))).status).toBe(404)
  })

  it('scores and reranks by shared words: sorted, cut to top_n, /pooling gives the vectors', async () => {
    const s = await sim({ arch: 'BertModel', names: ['embed'] })
    const docs = ['the blue sky', 'a red apple pie', 'green grass']
    const rr = await body(s.post('/v1/rerank', { model: 'embed', query: 'red apple', documents: docs, top_n: 2 }))
    expect(rr).toMatchObject({ model: 'embed', usage: { prompt_tokens: expect.any(Number), total_tokens: expect.any(Number) } })
    expect(rr.results).toHaveLength(2)
    expect(rr.results[0]).toMatchObject({ index: 1, document: { text: 'a red apple pie' } })
    expect(rr.results[0].relevance_score).toBeGreaterThan(rr.results[1].relevance_score)
    for (const path of ['/rerank', '/v2/rerank']) expect((await s.post(path, { query: 'q', documents: ['d'] })).status).toBe(200)
    const sc = await body(s.post('/score', { text_1: 'red apple', text_2: docs }))
    expect(sc).toMatchObject({ object: 'list', model: 'embed' })
    expect(sc.data.map((d: { object: string }) => d.object)).toEqual(['score', 'score', 'score'])
    expect(sc.data[1].score).toBeCloseTo(rr.results[0].relevance_score, 9)
    const pairs = await body(s.post('/v1/score', { queries: ['a', 'b'], documents: ['a', 'b'] }))
    expect(pairs.data.map((d: { score: number }) => d.score.toFixed(6))).toEqual(['1.000000', '1.000000'])
    const bad = await s.post('/score', { text_1: ['a', 'b'], text_2: ['a', 'b', 'c'] })
    expect(bad.status).toBe(400)
    const pool = await body(s.post('/pooling', { input: 'red apple' }))
    const emb = await body(s.post('/v1/embeddings', { input: 'red apple' }))
    expect(pool.data[0]).toMatchObject({ index: 0, object: 'pooling', data: emb.data[0].embedding })
    expect((await s.post('/classify', { input: 'x' })).status).toBe(404)
  })
})

describe('sequence classifiers', () => {
  it('classify with the labels of config.json; a one-label cross-encoder also reranks with scores in [0, 1]', async () => {
    const cls = await sim({ arch: 'BertForSequenceClassification', labels: ['negative', 'neutral', 'positive'] })
    const c = await body(cls.post('/classify', { model: 'qwen', input: ['great', 'awful'] }))
    expect(c.data).toHaveLength(2)
    for (const d of c.data) {
      expect(d.num_classes).toBe(3)
      expect(d.probs.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 9)
      expect(d.label).toBe(['negative', 'neutral', 'positive'][d.probs.indexOf(Math.max(...d.probs))])
    }
    expect((await cls.post('/rerank', { query: 'q', documents: ['d'] })).status).toBe(404)
    const rr = await sim({ arch: 'XLMRobertaForSequenceClassification', labels: ['LABEL_0'] })
    const r = await body(rr.post('/rerank', { query: 'red apple', documents: ['red apple', 'sky'] }))
    for (const x of r.results) expect(x.relevance_score).toBeGreaterThanOrEqual(0)
    for (const x of r.results) expect(x.relevance_score).toBeLessThanOrEqual(1)
    expect(r.results[0].index).toBe(0)
  })
})

describe('speech to text (Whisper: transcription task, multipart/form-data)', () => {
  const wav = (seconds: number) => {
    const b = Buffer.alloc(44 + seconds * 32000)
    b.write('RIFF', 0)
    b.write('WAVE', 8)
    b.write('fmt ', 12)
    b.writeUInt32LE(16, 16)
    b.writeUInt32LE(32000, 28) // 16 kHz, 16-bit mono
    b.write('data', 36)
    b.writeUInt32LE(seconds * 32000, 40)
    b.fill(7, 44)
    return b
  }
  const form = (fields: Record<string, string>, file: Buffer | null = wav(3)) => {
    const f = new FormData()
    for (const [k, v] of Object.entries(fields)) f.append(k, v)
    if (file) f.append('file', new Blob([file], { type: 'audio/wav' }), 'speech.wav')
    return f
  }

  it('transcribes and translates a file; model is an optional form field; text formats as asked', async () => {
    const s = await sim({ arch: 'WhisperForConditionalGeneration', names: ['whisper', 'stt'] })
    const post = (path: string, body: FormData) => fetch(s.base + path, { method: 'POST', body })
    const t = await post('/v1/audio/transcriptions', form({ model: 'stt' }))
    const j = await body(t)
    expect(t.status).toBe(200)
    expect(j).toEqual({ text: expect.stringMatching(/^[A-Z][a-z ]+\.$/), usage: { type: 'duration', seconds: 3 } })
    const again = await body(post('/v1/audio/transcriptions', form({})))
    expect(again.text).toBe(j.text)
    const plain = await post('/v1/audio/transcriptions', form({ response_format: 'text' }))
    expect(plain.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await plain.text()).toBe(j.text)
    const verbose = await body(post('/v1/audio/transcriptions', form({ response_format: 'verbose_json', language: 'de' })))
    expect(verbose).toMatchObject({ duration: '3.00', language: 'de', text: j.text })
    expect(await body(post('/v1/audio/translations', form({ model: 'whisper' })))).toEqual({ text: expect.any(String) })
    const wrong = await post('/v1/audio/transcriptions', form({ model: 'gpt-4o-transcribe' }))
    expect([wrong.status, (await body(wrong)).error.type]).toEqual([404, 'NotFoundError'])
    const events = (await (await post('/v1/audio/transcriptions', form({ stream: 'true' }))).text()).split('\n\n').filter(Boolean)
    expect(events.at(-1)).toBe('data: [DONE]')
    expect(JSON.parse(events[0]!.slice(6))).toMatchObject({ object: 'transcription.chunk', model: 'whisper' })
    expect((await s.post('/v1/chat/completions', chat('whisper'))).status).toBe(404)
  })

  it("refuses a body without the file (400) and a file sent as text (422), as vLLM's request model does", async () => {
    const s = await sim({ arch: 'WhisperForConditionalGeneration' })
    const none = await fetch(`${s.base}/v1/audio/transcriptions`, { method: 'POST', body: form({ model: 'qwen' }, null) })
    expect(none.status).toBe(400)
    expect((await body(none)).error.message).toContain("'loc': ('body', 'file'), 'msg': 'Field required'")
    const str = await fetch(`${s.base}/v1/audio/transcriptions`, { method: 'POST', body: form({ file: 'not a file' }, null) })
    expect([str.status, await body(str)]).toEqual([
      422,
      { error: { message: "Expected 'file' to be a file-like object, not 'str'.", type: 'Unprocessable Entity', param: null, code: 422 } },
    ])
    const chatModel = await sim()
    const r = await fetch(`${chatModel.base}/v1/audio/transcriptions`, { method: 'POST', body: form({}) })
    expect([r.status, await body(r)]).toEqual([404, { detail: 'Not Found' }])
  })
})
