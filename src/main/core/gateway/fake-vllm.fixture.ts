import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request the fake vLLM received, exactly as it arrived. */
export interface Received {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
}

/**
 * A tiny vLLM stand-in on a real port, answering like vLLM (gateway-facts.md §3): --api-key (401 `{"error":
 * "Unauthorized"}`), served names (404 NotFoundError), /health, chat completions (JSON, or SSE with the usage chunk
 * when stream_options.include_usage), embeddings, audio transcriptions (echoes the form). A stream can be held open
 * between its first and second chunk (`gate`), and every request's end is observable (`closed`).
 */
export class FakeVllm {
  readonly received: Received[] = []
  /** Requests whose connection closed before the answer ended (client aborts reaching upstream). */
  readonly aborted: Received[] = []
  apiKey: string | null
  servedNames: string[]
  #server: Server
  #gate: { promise: Promise<void>; open: () => void } | null = null
  #onFirstChunk: (() => void)[] = []
  #onAbort: (() => void)[] = []

  constructor(o: { servedNames: string[]; apiKey?: string }) {
    this.servedNames = o.servedNames
    this.apiKey = o.apiKey ?? null
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) }
        this.received.push(r)
        res.on('close', () => {
          if (!res.writableFinished) {
            this.aborted.push(r)
            for (const fn of this.#onAbort.splice(0)) fn()
          }
        })
        void this.#answer(r, res)
      })
    })
  }

  async listen(): Promise<string> {
    if (this.#server.listening) return this.endpoint
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r))
    return this.endpoint
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  /** Streams stop after their first chunk until open() is called. */
  gate(): { open: () => void } {
    let open!: () => void
    const promise = new Promise<void>((r) => (open = r))
    this.#gate = { promise, open }
    return { open }
  }

  /** Resolves when the next stream has sent its first chunk. */
  firstChunk(): Promise<void> {
    return new Promise((r) => this.#onFirstChunk.push(r))
  }

  /** Resolves when the next answer is cut off by the client. */
  nextAbort(): Promise<void> {
    return new Promise((r) => this.#onAbort.push(r))
  }

  async close(): Promise<void> {
    this.#gate?.open()
    this.#server.closeAllConnections()
    await new Promise<void>((r) => this.#server.close(() => r()))
  }

  async #answer(r: Received, res: ServerResponse): Promise<void> {
    const json = (status: number, body: unknown): void =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (r.path === '/health') return void res.writeHead(200).end()
    if (this.apiKey && r.headers.authorization !== `Bearer ${this.apiKey}`) return json(401, { error: 'Unauthorized' })
    if (r.path === '/v1/audio/transcriptions') {
      const model = /name="model"\r\n\r\n([^\r]*)\r\n/.exec(r.body.toString('latin1'))?.[1]
      return json(200, { text: `transcribed by ${model}` })
    }
    let req: { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean }; input?: unknown }
    try {
      req = JSON.parse(r.body.toString('utf8')) as typeof req
    } catch {
      return json(400, { error: { message: 'invalid JSON', type: 'BadRequestError', param: null, code: 400 } })
    }
    const model = req.model ?? this.servedNames[0]
    if (!model || !this.servedNames.includes(model)) {
      return json(404, { error: { message: `The model \`${model}\` does not exist.`, type: 'NotFoundError', param: 'model', code: 404 } })
    }
    const usage = { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 }
    if (r.path === '/v1/embeddings') {
      return json(200, {
        object: 'list',
        model,
        data: [{ object: 'embedding', index: 0, embedding: [0.25, -0.5] }],
        usage: { prompt_tokens: 4, total_tokens: 4 },
      })
    }
    if (r.path !== '/v1/chat/completions') return json(404, { detail: 'Not Found' })
    const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: this.servedNames[0] }
    if (!req.stream) {
      return json(200, {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
        usage,
      })
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' })
    const send = (o: unknown): boolean => res.write(`data: ${JSON.stringify(o)}\n\n`)
    send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })
    for (const fn of this.#onFirstChunk.splice(0)) fn()
    if (this.#gate) await this.#gate.promise
    if (res.destroyed) return
    for (const word of ['Hel', 'lo', '!']) send({ ...base, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] })
    send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })
    if (req.stream_options?.include_usage) send({ ...base, choices: [], usage })
    res.end('data: [DONE]\n\n')
  }
}
