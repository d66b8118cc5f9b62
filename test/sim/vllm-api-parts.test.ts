import { describe, expect, it } from 'vitest'
import { apiKeys, authorized } from './vllm/auth.js'
import { PyTuple, errorBody, missing, pyRepr, validationError, ApiError } from './vllm/errors.js'
import { MultipartError, formBoundary, formFields, parseMultipart } from './vllm/multipart.js'
import { matchRoute, mountedRoutes, supportedTasks, taskNames } from './vllm/routes.js'
import { audioSeconds } from './vllm/routes-text.js'
import { versionInfo } from './vllm/versions.js'

const latest = versionInfo('latest')
const nightly = versionInfo('nightly')
const old = versionInfo('v0.10.0')

describe('--api-key (gateway-facts §0.2, §3.3)', () => {
  it('takes the flag (one value or a list), else VLLM_API_KEY; empty values mean no middleware', () => {
    expect(apiKeys(['a', 'b'], { VLLM_API_KEY: 'env' })).toEqual(['a', 'b'])
    expect(apiKeys('single', {})).toEqual(['single'])
    expect(apiKeys(null, { VLLM_API_KEY: 'env' })).toEqual(['env'])
    expect(apiKeys(null, { VLLM_API_KEY: '' })).toBeNull()
    expect(apiKeys(undefined, {})).toBeNull()
  })

  it('guards /v1 only up to v0.21.0 and /v1, /v2, /inference on the 2026-05 nightly; OPTIONS and other paths pass', () => {
    const a21 = { keys: ['k'], prefixes: latest.authPrefixes }
    const aN = { keys: ['k'], prefixes: nightly.authPrefixes }
    expect(authorized(a21, 'GET', '/v1/models', undefined)).toBe(false)
    expect(authorized(a21, 'POST', '/v2/rerank', undefined)).toBe(true)
    expect(authorized(aN, 'POST', '/v2/rerank', undefined)).toBe(false)
    expect(authorized(aN, 'POST', '/inference/v1/generate', undefined)).toBe(false)
    for (const p of ['/health', '/metrics', '/tokenize', '/pooling', '/score', '/rerank', '/classify'])
      expect(authorized(aN, 'POST', p, undefined), p).toBe(true)
    expect(authorized(aN, 'OPTIONS', '/v1/models', undefined)).toBe(true)
    expect(authorized({ keys: null, prefixes: ['/v1'] }, 'GET', '/v1/models', undefined)).toBe(true)
  })

  it('accepts "Bearer <key>" with the scheme in any case and any of the keys; nothing else', () => {
    const a = { keys: ['k1', 'k2'], prefixes: ['/v1'] }
    expect(authorized(a, 'GET', '/v1/models', 'Bearer k2')).toBe(true)
    expect(authorized(a, 'GET', '/v1/models', 'bearer k1')).toBe(true)
    expect(authorized(a, 'GET', '/v1/models', 'Bearer k3')).toBe(false)
    expect(authorized(a, 'GET', '/v1/models', 'Basic k1')).toBe(false)
    expect(authorized(a, 'GET', '/v1/models', 'k1')).toBe(false)
    expect(authorized(a, 'GET', '/v1/models', 'Bearer  k1')).toBe(false)
  })
})

describe('error shapes (gateway-facts §3.2)', () => {
  it('wraps errors from v0.10.1 on, flat before; param only on versions that name it', () => {
    const e = new ApiError(404, 'NotFoundError', 'The model `foo` does not exist.', 'model')
    expect(errorBody(latest, e)).toEqual({
      error: { message: 'The model `foo` does not exist.', type: 'NotFoundError', param: 'model', code: 404 },
    })
    expect(errorBody(versionInfo('v0.12.0'), e)).toEqual({
      error: { message: 'The model `foo` does not exist.', type: 'NotFoundError', param: null, code: 404 },
    })
    expect(errorBody(old, e)).toEqual({
      object: 'error',
      message: 'The model `foo` does not exist.',
      type: 'NotFoundError',
      param: null,
      code: 404,
    })
  })

  it('words validation errors as pydantic/FastAPI do, with type "Bad Request"', () => {
    expect(pyRepr([missing('messages', { model: 'x', n: 1, stream: false, s: "it's", o: null })])).toBe(
      `[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required', 'input': {'model': 'x', 'n': 1, 'stream': False, 's': "it's", 'o': None}}]`,
    )
    expect(pyRepr(new PyTuple(['body']))).toBe("('body',)")
    const ep = { method: 'POST', path: '/v1/chat/completions', fn: 'create_chat_completion', file: 'openai/chat_completion/api_router.py' }
    const listed = validationError(old, [missing('messages', null)], ep)
    expect([listed.code, listed.type, listed.message]).toEqual([
      400,
      'Bad Request',
      "[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required', 'input': None}]",
    ])
    const ctx = validationError(latest, [missing('messages', null)], ep)
    expect(ctx.message).toMatch(
      /^1 validation error:\n {2}\{'type': 'missing', .*\n\n {2}File ".*chat_completion\/api_router\.py", line \d+, in create_chat_completion\n {4}POST \/v1\/chat\/completions \[\{/,
    )
  })
})

describe('multipart/form-data (transcriptions)', () => {
  const body = Buffer.concat([
    Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper\r\n'),
    Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a b.wav"\r\nContent-Type: audio/wav\r\n\r\n'),
    Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]),
    Buffer.from('\r\n--XyZ--\r\n'),
  ])

  it('reads the boundary, text fields and file fields byte for byte', () => {
    expect(formBoundary('multipart/form-data; boundary=XyZ')).toBe('XyZ')
    expect(formBoundary('Multipart/Form-Data; charset=utf-8; boundary="a;b"')).toBe('a;b')
    expect(formBoundary('application/json')).toBeNull()
    const { text, files } = formFields(parseMultipart(body, 'XyZ'))
    expect(text).toEqual({ model: 'whisper' })
    expect(files.file).toMatchObject({ filename: 'a b.wav', contentType: 'audio/wav' })
    expect([...files.file!.data]).toEqual([0, 1, 2, 13, 10, 45, 45, 255])
  })

  it('names what is wrong with a broken body', () => {
    expect(() => formBoundary('multipart/form-data')).toThrow(MultipartError)
    expect(() => parseMultipart(Buffer.from('no boundary here'), 'XyZ')).toThrow(/No multipart boundary/)
    expect(() => parseMultipart(body.subarray(0, body.length - 12), 'XyZ')).toThrow(/closing boundary/)
  })

  it('reads the duration of a WAV file from its header', () => {
    const wav = Buffer.alloc(44 + 32000)
    wav.write('RIFF', 0)
    wav.write('WAVE', 8)
    wav.write('fmt ', 12)
    wav.writeUInt32LE(16, 16)
    wav.writeUInt32LE(16000, 28) // byte rate: 8 kHz, 16-bit mono
    wav.write('data', 36)
    wav.writeUInt32LE(32000, 40)
    expect(audioSeconds(wav)).toBe(2)
  })
})

describe('supported tasks and mounted routes (gateway-facts §3)', () => {
  it('derives the task from the architecture and --runner/--convert/--task', () => {
    expect(taskNames(supportedTasks({ architecture: 'Qwen3ForCausalLM', numLabels: 2 }))).toEqual(['generate'])
    expect(taskNames(supportedTasks({ architecture: 'BertModel', numLabels: 2 }))).toEqual(['embed'])
    expect(taskNames(supportedTasks({ architecture: 'Qwen3ForCausalLM', numLabels: 2, convert: 'embed' }))).toEqual(['embed'])
    expect(supportedTasks({ architecture: 'Qwen3ForCausalLM', numLabels: 2, runner: 'pooling' }).pooling).toBe('embed')
    expect(supportedTasks({ architecture: 'BertForSequenceClassification', numLabels: 3 })).toMatchObject({
      pooling: 'classify',
      score: false,
    })
    expect(supportedTasks({ architecture: 'XLMRobertaForSequenceClassification', numLabels: 1 })).toMatchObject({
      pooling: 'classify',
      score: true,
    })
    expect(taskNames(supportedTasks({ architecture: 'WhisperForConditionalGeneration', numLabels: 2 }))).toEqual(['transcription'])
  })

  it('mounts only the routes of the task from v0.21.0, every route (task unsupported) before; Messages from v0.12.0', () => {
    const gen = supportedTasks({ architecture: 'Qwen3ForCausalLM', numLabels: 2 })
    const paths = (v: typeof latest) => mountedRoutes(v, gen).map((r) => r.path)
    expect(paths(latest)).toContain('/v1/messages')
    expect(paths(latest)).not.toContain('/v1/embeddings')
    expect(paths(latest)).toContain('/tokenize')
    expect(paths(old)).toContain('/v1/embeddings')
    expect(paths(old)).not.toContain('/v1/messages')
    expect(mountedRoutes(old, gen).find((r) => r.path === '/v1/embeddings')?.supported).toBe(false)
    const emb = mountedRoutes(latest, supportedTasks({ architecture: 'BertModel', numLabels: 2 })).map((r) => r.path)
    expect(emb).toEqual(
      expect.arrayContaining(['/v1/embeddings', '/pooling', '/score', '/v1/score', '/rerank', '/v1/rerank', '/v2/rerank']),
    )
    expect(emb).not.toContain('/classify')
    expect(emb).not.toContain('/v1/chat/completions')
  })

  it('matches like Starlette: 405 with the allowed methods when only the method is wrong, HEAD where GET is', () => {
    const routes = mountedRoutes(latest, supportedTasks({ architecture: 'Qwen3ForCausalLM', numLabels: 2 }))
    expect(matchRoute(routes, 'POST', '/v1/chat/completions')).toMatchObject({ route: { handler: 'chat' } })
    expect(matchRoute(routes, 'GET', '/v1/chat/completions')).toEqual({ status: 405, allow: ['POST'] })
    expect(matchRoute(routes, 'HEAD', '/v1/models')).toMatchObject({ route: { handler: 'models' } })
    expect(matchRoute(routes, 'GET', '/v1/nothing')).toEqual({ status: 404 })
  })
})
