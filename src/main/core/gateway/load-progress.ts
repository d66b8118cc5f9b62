import type { ServerResponse } from 'node:http'
import type { GatewayBackend } from './backends'

/** The part of a backend's status that progress lines show. */
export type ProgressFacts = Pick<GatewayBackend, 'state' | 'phase' | 'progress' | 'etaSeconds'>

/** One line of load progress, e.g. "loading weights 42% (about 30 s left)" (pure). */
export function progressLine(b: ProgressFacts): string {
  const what = b.phase?.trim() || b.state
  const pct = b.progress !== undefined && Number.isFinite(b.progress) ? ` ${Math.round(Math.min(1, Math.max(0, b.progress)) * 100)}%` : ''
  const eta = b.etaSeconds !== undefined && Number.isFinite(b.etaSeconds) ? ` (about ${Math.max(1, Math.ceil(b.etaSeconds))} s left)` : ''
  return `${what}${pct}${eta}`
}

/**
 * One SSE event carrying progress text (pure). Chat completions get it as `delta.reasoning_content` in a complete
 * chat.completion.chunk, which chat UIs show as a thinking block while the model loads (as llama-swap does,
 * gateway-facts.md §4.4, §7); other routes get SSE comments, which every client ignores (§6.2). Never `content`.
 */
export function progressEvent(text: string, o: { chat: boolean; model: string; created: number }): string {
  if (!o.chat)
    return (
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => `: ${l}\n`)
        .join('') + '\n'
    )
  const chunk = {
    id: 'chatcmpl-gateway-load',
    object: 'chat.completion.chunk',
    created: o.created,
    model: o.model,
    choices: [{ index: 0, delta: { reasoning_content: text }, logprobs: null, finish_reason: null }],
  }
  return `data: ${JSON.stringify(chunk)}\n\n`
}

/**
 * Load progress for one held streaming request: the 200 SSE head at once (so clients with a headers timeout, like
 * Node's fetch at 300 s, keep waiting), a line per change of phase/progress/ETA, a keep-alive comment every
 * `heartbeatMs`, and a closing line when the model is ready. The model's answer then follows in the same response.
 */
export class LoadProgress {
  readonly #res: ServerResponse
  readonly #o: { chat: boolean; model: string; created: number }
  readonly #now: () => number
  readonly #since: number
  #last = ''
  #timer: ReturnType<typeof setInterval> | null = null

  constructor(res: ServerResponse, o: { chat: boolean; model: string; heartbeatMs: number; now: () => number }) {
    this.#res = res
    this.#now = o.now
    this.#since = o.now()
    this.#o = { chat: o.chat, model: o.model, created: Math.floor(this.#since / 1000) }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' })
    this.#write(`Loading ${o.model}…\n`)
    this.#timer = setInterval(() => this.#res.writable && this.#res.write(': keep-alive\n\n'), o.heartbeatMs)
    this.#timer.unref?.()
  }

  update(b: ProgressFacts): void {
    const line = progressLine(b)
    if (line === this.#last) return
    this.#last = line
    this.#write(`${line}\n`)
  }

  /** The model is ready (the answer follows) or the hold ended (the caller writes the error event). */
  finish(ready: boolean): void {
    this.#stop()
    if (ready) this.#write(`Ready after ${((this.#now() - this.#since) / 1000).toFixed(1)} s.\n\n`)
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  #write(text: string): void {
    if (!this.#res.writable) return this.#stop()
    this.#res.write(progressEvent(text, this.#o))
  }
}
