import { createServer, request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { jsonModel, multipartBoundary, multipartModel, readBody, replaceModel, scanTopLevel, type BodyRead } from './body'

const buf = (s: string): Buffer => Buffer.from(s, 'utf8')

describe('scanTopLevel / jsonModel', () => {
  it('finds model and stream at the top level, skipping nested values that contain the same keys', () => {
    const body = buf(
      '{"messages":[{"role":"user","content":"{\\"model\\": \\"evil\\"} ]}"}],"meta":{"model":"nested"}, "model" : "qwen\\u00e9" ,"stream":true}',
    )
    const r = jsonModel(body)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.field.model).toBe('qwené')
    expect(r.field.stream).toBe(true)
    expect(body.toString('utf8', r.field.range?.start, r.field.range?.end)).toBe('"qwen\\u00e9"')
  })

  it('takes the last of a repeated key, as JSON.parse does', () => {
    const r = jsonModel(buf('{"model":"a","model":"b"}'))
    expect(r.ok && r.field.model).toBe('b')
  })

  it('reports a body without model, and stream false unless literally true', () => {
    expect(jsonModel(buf(' { "input" : [1, 2, {"a": null}], "stream": "true" } '))).toEqual({ ok: true, field: { stream: false } })
    expect(scanTopLevel(buf('{}'))).toEqual(new Map())
  })

  it.each([['[1,2]'], ['{"model":"a"'], ['{"model" "a"}'], ['{"model":"a"} x'], ['not json'], ['{"a":1,}'], ['']])(
    'refuses %j with 400 invalid_json',
    (text) => {
      const r = jsonModel(buf(text))
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error).toMatchObject({ status: 400, code: 'invalid_json' })
    },
  )

  it('refuses a model that is not a string', () => {
    const r = jsonModel(buf('{"model":42}'))
    expect(!r.ok && r.error).toMatchObject({ status: 400, code: 'invalid_model', param: 'model' })
  })

  it('replaces only the model value, every other byte unchanged', () => {
    const text = '{"messages":[{"role":"user","content":"héllo"}],\n  "model":"chat", "temperature":0.0}'
    const r = jsonModel(buf(text))
    if (!r.ok || !r.field.range) throw new Error('no model')
    const out = replaceModel('json', buf(text), r.field.range, 'qwen3-8b')
    expect(out.toString('utf8')).toBe(text.replace('"chat"', '"qwen3-8b"'))
  })
})

const form = (boundary: string, parts: [string, string, string?][]): Buffer =>
  Buffer.concat([
    ...parts.map(([name, value, filename]) =>
      buf(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n` +
          `${filename ? 'Content-Type: audio/wav\r\n' : ''}\r\n${value}\r\n`,
      ),
    ),
    buf(`--${boundary}--\r\n`),
  ])

describe('multipart model', () => {
  it('reads the boundary, quoted or not', () => {
    expect(multipartBoundary('multipart/form-data; boundary=----abc')).toBe('----abc')
    expect(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"')).toBe('a b')
    expect(multipartBoundary('application/json')).toBeNull()
  })

  it('finds the model field after a file part whose bytes look like a field', () => {
    const body = form('xyz', [
      ['file', 'RIFF....name="model"\r\n\r\nnot-this', 'a.wav'],
      ['model', 'whisper-large'],
      ['language', 'en'],
    ])
    const r = multipartModel(body, 'multipart/form-data; boundary=xyz')
    expect(r.ok && r.field.model).toBe('whisper-large')
    if (!r.ok || !r.field.range) return
    const out = replaceModel('multipart', body, r.field.range, 'openai/whisper-large-v3')
    expect(out.toString()).toBe(body.toString().replace('\r\nwhisper-large\r\n', '\r\nopenai/whisper-large-v3\r\n'))
  })

  it('reports no model when the form has none, and 400 without a boundary', () => {
    expect(multipartModel(form('b', [['file', 'x', 'a.wav']]), 'multipart/form-data; boundary=b')).toEqual({
      ok: true,
      field: { stream: false },
    })
    const r = multipartModel(buf(''), 'multipart/form-data')
    expect(!r.ok && r.error).toMatchObject({ status: 400, code: 'invalid_multipart' })
  })
})

describe('readBody', () => {
  async function post(limit: number, body: Buffer, declare: boolean): Promise<BodyRead> {
    let result!: Promise<BodyRead>
    const server = createServer((req: IncomingMessage, res) => {
      result = readBody(req, limit)
      void result.then(() => res.writeHead(204, { connection: 'close' }).end())
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    await new Promise<void>((resolve) => {
      const headers = declare ? { 'content-length': body.length } : { 'transfer-encoding': 'chunked' }
      const req = request({ port, method: 'POST', headers }, (res) => res.resume().on('end', resolve))
      req.on('error', () => resolve())
      req.end(body)
    })
    server.close()
    return result
  }

  it('returns the body when it fits, chunked or not', async () => {
    const body = buf('x'.repeat(1000))
    expect(await post(1000, body, true)).toEqual({ ok: true, body })
    expect(await post(1000, body, false)).toEqual({ ok: true, body })
  })

  it('refuses a body over the limit with 413 naming the limit, by Content-Length or while reading', async () => {
    for (const declare of [true, false]) {
      const r = await post(2 * 1048576, Buffer.alloc(2 * 1048576 + 1), declare)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error).toMatchObject({ status: 413, code: 'request_too_large', message: expect.stringContaining('2 MiB') })
    }
  })
})
