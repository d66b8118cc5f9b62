/**
 * Figures of one streamed reply, measured in the browser from the chunks as they arrive (the relay passes
 * vLLM's stream through; vLLM sends one chunk per generated token, so chunks count tokens).
 */
export interface StreamFigures {
  /** Request sent → first token (ms); null until one arrived. */
  ttftMs: number | null
  /** Request sent → stream ended, or → now while it runs (ms). */
  latencyMs: number
  tokens: number
  /** Generation speed after the first token; null until two tokens arrived some time apart. */
  tokensPerSecond: number | null
}

/**
 * @param sentAt when the request was sent (ms, any monotonic clock)
 * @param chunkTimes arrival time of each non-empty chunk, in order
 * @param endedAt when the stream ended, or the current time while it runs
 */
export function streamFigures(sentAt: number, chunkTimes: readonly number[], endedAt: number): StreamFigures {
  const first = chunkTimes[0]
  const last = chunkTimes[chunkTimes.length - 1]
  const span = first !== undefined && last !== undefined ? last - first : 0
  return {
    ttftMs: first === undefined ? null : Math.max(0, first - sentAt),
    latencyMs: Math.max(0, endedAt - sentAt),
    tokens: chunkTimes.length,
    tokensPerSecond: chunkTimes.length >= 2 && span > 0 ? ((chunkTimes.length - 1) * 1000) / span : null,
  }
}

/** "840 ms", "1.25 s", "12.3 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`
}

/** "38.2 tokens/s", or "—" when not measurable yet. */
export function formatRate(tokensPerSecond: number | null): string {
  if (tokensPerSecond === null) return '—'
  return `${tokensPerSecond >= 100 ? Math.round(tokensPerSecond) : tokensPerSecond.toFixed(1)} tokens/s`
}
