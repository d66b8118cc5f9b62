import type { EventSourceMessage } from 'eventsource-parser'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { AppError } from '../errors'

/** A streamed OpenAI chat completion from a vLLM endpoint, as text deltas (SSE parsed). */
export async function* chatStream(o: {
  endpoint: string
  model: string
  apiKey?: string
  messages: { role: string; content: string }[]
  maxTokens: number
  signal?: AbortSignal
}): AsyncGenerator<{ delta: string }> {
  const res = await fetch(`${o.endpoint}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}) },
    body: JSON.stringify({ model: o.model, messages: o.messages, max_tokens: o.maxTokens, stream: true }),
    signal: o.signal,
  })
  if (!res.ok || !res.body)
    throw new AppError('UNAVAILABLE', `The deployment answered HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`, {
      fix: 'Read its log.',
    })
  const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())
  for await (const ev of events as unknown as AsyncIterable<EventSourceMessage>) {
    if (!ev.data || ev.data === '[DONE]') continue
    try {
      const delta = (JSON.parse(ev.data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content
      if (delta) yield { delta }
    } catch {
      /* not a JSON chunk: skipped */
    }
  }
}
