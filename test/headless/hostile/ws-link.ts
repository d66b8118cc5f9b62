/** A persistent /rpc connection that hands each reply to the call waiting for its message id. */
import WebSocket from 'ws'

export interface Reply {
  status: number
  body: string
  leak: boolean
}

/** Status and JSON body of one oRPC peer reply (`{i, p: {s, b: {json}}}`; binary replies end at 0xFF). */
export function parseReply(text: string): { id: unknown; status: number; body: string } | undefined {
  let msg: { i?: unknown; p?: { s?: number; b?: unknown } }
  try {
    msg = JSON.parse(text.split('\u00ff')[0] as string) as typeof msg
  } catch {
    return undefined
  }
  const b = msg.p?.b as { json?: unknown } | undefined
  const body = JSON.stringify(b && typeof b === 'object' && 'json' in b ? b.json : b) ?? ''
  return { id: msg.i, status: msg.p?.s ?? 200, body }
}

export class WsLink {
  private readonly ws: WebSocket
  private readonly ready: Promise<void>
  private readonly waiting = new Map<string, (r: Reply | Error) => void>()
  closed = false

  constructor(url: string, headers: Record<string, string>, canary: string) {
    this.ws = new WebSocket(url, { headers, maxPayload: 64 << 20 })
    this.ready = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
    this.ready.catch(() => {})
    this.ws.on('error', () => {})
    this.ws.on('message', (data) => {
      const text = data.toString()
      const r = parseReply(text)
      const done = typeof r?.id === 'string' ? this.waiting.get(r.id) : undefined
      if (!r || !done) return
      this.waiting.delete(r.id as string)
      done({ status: r.status, body: r.body, leak: text.includes(canary) })
    })
    this.ws.on('close', (code) => {
      this.closed = true
      for (const done of this.waiting.values()) done(new Error(`connection closed (${code}) without an answer`))
      this.waiting.clear()
    })
  }

  /** Sends `frame` and resolves with the reply to `id`, or an Error (closed, or nothing within hardMs). */
  async call(id: string, frame: string | Buffer, hardMs: number): Promise<Reply | Error> {
    try {
      await this.ready
    } catch (e) {
      return e as Error
    }
    if (this.closed) return new Error('connection closed before sending')
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        resolve(new Error(`no answer within ${hardMs} ms`))
      }, hardMs)
      this.waiting.set(id, (r) => {
        clearTimeout(timer)
        resolve(r)
      })
      this.ws.send(frame)
    })
  }

  close(): void {
    this.ws.terminate()
  }
}
