/**
 * Sends hostile requests (HTTP with a keep-alive agent, WebSocket frames) with a concurrency limit,
 * notices a server that died or hung (restarts it and replays the suspects one by one to find the
 * culprit), and judges every answer.
 */
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import type { Case, HttpCase, WsCase } from './cases'
import type { ServerProcess, World } from './harness'
import { parseReply, WsLink } from './ws-link'

export const LIMIT_MS = 1000
const HARD_MS = 2500

export interface Outcome {
  status?: number
  contentType?: string
  body: string
  ms: number
  error?: string
  fatal?: 'crash' | 'hang'
  leak?: boolean
}

export interface Finding {
  problem: string
  case: Case
  outcome: Outcome
}

export class Sender {
  private agent = new Agent({ keepAlive: true, maxSockets: 8 })
  private links: WsLink[] = []
  private calls = 0
  deaths: string[] = []

  constructor(
    private readonly server: ServerProcess,
    private readonly w: World,
  ) {}

  async exec(c: Case, hardMs = HARD_MS): Promise<Outcome> {
    try {
      return await (c.transport === 'rest' ? this.http(c, hardMs) : this.ws(c, hardMs))
    } catch (e) {
      return { body: '', ms: 0, error: `the test client failed: ${(e as Error).message}` }
    }
  }

  private fill(s: string): string {
    return s.replaceAll('{port}', String(this.server.port)).replaceAll('{otherPort}', String(this.server.port + 1))
  }

  async http(c: HttpCase, hardMs: number, fresh = false): Promise<Outcome> {
    const headers: Record<string, string | string[] | number> = {}
    for (const [k, v] of Object.entries(c.headers)) headers[k] = Array.isArray(v) ? v.map((x) => this.fill(x)) : this.fill(v)
    const body = c.body?.()
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body)
    const start = performance.now()
    const o = await new Promise<Outcome & { retry?: boolean }>((resolve) => {
      let settled = false
      let got: { status: number; contentType?: string; chunks: Buffer[] } | undefined
      let leak = false
      let tail = ''
      const finish = (o: Outcome & { retry?: boolean }): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(o)
      }
      const answered = (extra: Partial<Outcome> = {}): Outcome => ({
        status: got?.status,
        contentType: got?.contentType,
        body: Buffer.concat(got?.chunks ?? []).toString('utf8'),
        ms: performance.now() - start,
        leak,
        ...extra,
      })
      const agent = fresh ? false : this.agent
      const target = { host: '127.0.0.1', port: this.server.port, method: c.method, path: c.path, headers, agent }
      const req = request(target, (res) => {
        got = { status: res.statusCode ?? 0, contentType: res.headers['content-type'], chunks: [] }
        let size = 0
        res.on('data', (d: Buffer) => {
          const s = tail + d.toString('latin1')
          if (s.includes(this.w.canary)) leak = true
          tail = s.slice(-this.w.canary.length)
          if (size < 32 << 20) got?.chunks.push(d)
          size += d.length
        })
        res.on('end', () => finish(answered()))
        const cut = (): void => finish(answered(late ? { error: `answer not complete within ${hardMs} ms` } : {}))
        res.on('error', cut)
        res.on('close', cut)
      })
      let late = false
      const timer = setTimeout(() => {
        late = true
        req.destroy(new Error(`no answer within ${hardMs} ms`))
      }, hardMs)
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (got) return finish(answered(late ? { error: `answer not complete within ${hardMs} ms` } : {}))
        const stale = req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')
        finish({ body: '', ms: performance.now() - start, error: `${e.code ?? ''} ${e.message}`.trim(), retry: stale })
      })
      req.end(body)
    })
    if (o.retry && !fresh) return this.http(c, hardMs, true)
    return o
  }

  /** A WebSocket handshake: the status it is refused with (101 when it opens). */
  private upgrade(up: NonNullable<WsCase['upgrade']>, hardMs: number): Promise<Outcome> {
    const headers = Object.fromEntries(Object.entries(up.headers).map(([k, v]) => [k, this.fill(v)]))
    const start = performance.now()
    return new Promise<Outcome>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${this.server.port}${up.path}`, { headers })
      let settled = false
      const done = (o: Partial<Outcome>): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        ws.terminate()
        resolve({ body: '', ms: performance.now() - start, ...o })
      }
      const timer = setTimeout(() => done({ error: `no answer within ${hardMs} ms` }), hardMs)
      ws.on('open', () => done({ status: 101 }))
      ws.on('unexpected-response', (_req, res) => done({ status: res.statusCode }))
      ws.on('error', (e) => done({ error: e.message }))
    })
  }

  /** Calls that must be refused go over a few shared connections (they must not break them). */
  private async call(c: WsCase, id: string, hardMs: number): Promise<Outcome> {
    const slot = this.calls++ % 4
    let link = this.links[slot]
    if (!link || link.closed) {
      link = new WsLink(`ws://127.0.0.1:${this.server.port}/rpc`, { authorization: `Bearer ${this.w.token}` }, this.w.canary)
      this.links[slot] = link
    }
    const start = performance.now()
    const r = await link.call(id, c.frame(), hardMs)
    const ms = performance.now() - start
    return r instanceof Error ? { body: '', ms, error: r.message } : { status: r.status, body: r.body, ms, leak: r.leak }
  }

  private ws(c: WsCase, hardMs: number): Promise<Outcome> {
    if (c.upgrade) return this.upgrade(c.upgrade, hardMs)
    if (c.expect === 'reject' && c.id !== undefined) return this.call(c, c.id, hardMs)
    return this.brokenFrame(c, hardMs)
  }

  /**
   * A frame that may break its connection: sent on a connection of its own, followed by a health call
   * (on a new connection if the server closed this one). Fine when health answers and the frame's own
   * reply, if any, is no 5xx.
   */
  private brokenFrame(c: WsCase, hardMs: number): Promise<Outcome> {
    const url = `ws://127.0.0.1:${this.server.port}/rpc`
    const opts = { headers: { authorization: `Bearer ${this.w.token}` }, maxPayload: 64 << 20 }
    const probe = '{"i":"probe","p":{"u":"/system/health","b":{}}}'
    const start = performance.now()
    return new Promise<Outcome>((resolve) => {
      let settled = false
      let reply: { status: number; body: string } | undefined
      let leak = false
      let probed = false
      const sockets: WebSocket[] = []
      const finish = (o: Partial<Outcome>): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        clearTimeout(grace)
        for (const s of sockets) s.terminate()
        resolve({ status: reply?.status, body: reply?.body ?? '', ms: performance.now() - start, leak, ...o })
      }
      let grace: NodeJS.Timeout | undefined
      const timer = setTimeout(() => finish({ error: `no answer within ${hardMs} ms` }), hardMs)
      const onMessage = (data: WebSocket.RawData): void => {
        const text = data.toString()
        if (text.includes(this.w.canary)) leak = true
        const msg = parseReply(text)
        if (!msg) return
        if (c.id !== undefined && msg.id === c.id && !reply) {
          reply = { status: msg.status, body: msg.body }
          if (probed) finish({})
        }
        if (msg.id === 'probe') {
          probed = true
          const probeMs = performance.now() - start
          // A broken frame may get no reply at all (oRPC drops what it cannot decode); the probe's answer
          // shows the server is fine, so the time that counts is the probe's.
          if (reply || c.id === undefined) finish({})
          else grace = setTimeout(() => finish({ ms: probeMs }), LIMIT_MS)
        }
      }
      const open = (first: boolean): void => {
        const ws = new WebSocket(url, opts)
        sockets.push(ws)
        ws.on('message', onMessage)
        ws.on('error', () => {})
        ws.on('open', () => {
          if (first) ws.send(c.frame())
          ws.send(probe)
        })
        ws.on('close', (code) => {
          if (settled) return
          if (first) open(false)
          else finish({ error: `connection closed (${code}) without an answer` })
        })
      }
      open(true)
    })
  }

  /** The process runs and health answers within `ms`. */
  async alive(ms = 5000): Promise<boolean> {
    if (this.server.crashed) return false
    const health = { transport: 'rest' as const, route: '', kind: '', what: '', expect: 'survive' as const, method: 'GET' }
    const o = await this.http({ ...health, path: '/api/v1/health', headers: { authorization: `Bearer ${this.w.token}` } }, ms, true)
    return o.status === 200
  }

  /** Restarts a dead or hung server; returns why it was dead (undefined when it was fine). */
  async recover(): Promise<string | undefined> {
    // A loaded machine is not a hung server: a second, longer chance before the verdict.
    if ((await this.alive()) || (await this.alive(15_000))) return undefined
    const why = this.server.crashed ?? 'server stopped answering (event loop blocked)'
    this.deaths.push(why)
    await this.server.stop(true)
    for (const l of this.links) l?.close()
    this.links = []
    this.agent.destroy()
    this.agent = new Agent({ keepAlive: true, maxSockets: 8 })
    await this.server.start()
    return why
  }

  /**
   * Runs every case, `concurrency` at a time. A case without an answer triggers a health check while
   * the others go on; if the server is dead or hung, dispatch stops, the server is restarted and the
   * cases that got no answer meanwhile are replayed alone, so only one that kills it again is blamed.
   * Cases slower than the limit or without an answer are then replayed alone (twice at most), so the
   * queue behind one heavy request is not blamed on the light ones.
   */
  async runAll(cases: Case[], concurrency: number): Promise<Map<Case, Outcome>> {
    const debug = (s: string): void => {
      if (process.env.HOSTILE_DEBUG) process.stderr.write(`[hostile ${Math.round(performance.now())}] ${s}\n`)
    }
    debug(`run ${cases.length} cases`)
    const results = new Map<Case, Outcome>()
    let next = 0
    while (next < cases.length) {
      const window: Case[] = []
      let dead = false
      let checking: Promise<void> | undefined
      const check = (): void => {
        if (checking || dead) return
        const seen = window.length
        checking = this.alive()
          .then(async (ok) => ok || (await this.alive(15_000)))
          .then((ok) => {
            checking = undefined
            if (!ok) dead = true
            else window.splice(0, seen)
            if (ok && window.length > 0) check()
          })
      }
      await new Promise<void>((resolve) => {
        let inflight = 0
        const settle = async (): Promise<void> => {
          while (checking) await checking
          if (inflight > 0) return
          if (!dead && next < cases.length) pump()
          else resolve()
        }
        const pump = (): void => {
          while (!dead && inflight < concurrency && next < cases.length) {
            const c = cases[next++] as Case
            inflight++
            void this.exec(c).then((o) => {
              results.set(c, o)
              if (o.error) {
                window.push(c)
                check()
              }
              inflight--
              pump()
            })
          }
          if (inflight === 0) void settle()
        }
        pump()
      })
      if (!dead) continue
      debug(`server dead after ${next} cases; window ${window.length}`)
      const why = await this.recover()
      debug('restarted')
      for (const c of window) {
        const o = window.length === 1 ? (results.get(c) as Outcome) : await this.exec(c)
        const cause = !o.error ? undefined : window.length === 1 ? why : await this.recover()
        if (cause) {
          o.fatal = cause.startsWith('server process exited') ? 'crash' : 'hang'
          o.error = `${o.error}; ${cause}`
        }
        results.set(c, o)
      }
    }
    debug('main pass done; replaying slow ones')
    // A request the client gave up on may still occupy the server (a regex running for seconds):
    // each replay starts once health answers again.
    await this.alive(20_000)
    for (const [c, first] of [...results]) {
      let best = first
      for (let i = 0; i < 2 && !best.fatal && ['slow', 'no answer'].includes(judge(c, best) ?? ''); i++) {
        const again = await this.exec(c)
        if (again.error) await this.alive(20_000)
        if (again.error && !best.error) break
        if (best.error || again.ms < best.ms) best = again
      }
      results.set(c, best)
    }
    debug('replays done')
    return results
  }
}

function declared(o: Outcome, code?: string): boolean {
  if (o.contentType !== undefined && !o.contentType.startsWith('application/json')) return false
  let b: { code?: unknown; message?: unknown; status?: unknown; data?: { fix?: unknown; fields?: unknown } }
  try {
    b = JSON.parse(o.body) as typeof b
  } catch {
    return false
  }
  if (!b || typeof b !== 'object') return false
  if (typeof b.code !== 'string' || !/^[A-Z][A-Z_]*$/.test(b.code) || (code && b.code !== code)) return false
  if (typeof b.message !== 'string' || b.message.length === 0) return false
  if (b.status !== undefined && b.status !== o.status) return false
  return typeof b.data?.fix === 'string' && b.data.fix.length > 0
}

/** What is wrong with the answer to one case (undefined: nothing). */
export function judge(c: Case, o: Outcome): string | undefined {
  if (o.fatal) return o.fatal === 'crash' ? 'server crashed' : 'server hung'
  if (o.leak) return 'leaked a victim file'
  if (o.error) return 'no answer'
  const s = o.status
  if (s !== undefined && s >= 500 && !(c.expect === 'survive' && s === 503 && declared(o, 'UNAVAILABLE'))) return 'server error'
  if (c.expect === 'reject' && (s === undefined || s < 400)) return 'accepted'
  const bare = c.transport === 'ws' && c.kind === 'upgrade'
  if (s !== undefined && s >= 400 && s < 500 && !bare && !declared(o)) return 'undeclared error shape'
  if (o.ms > LIMIT_MS) return 'slow'
  return undefined
}
