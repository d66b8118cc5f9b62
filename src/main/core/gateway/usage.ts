/** Token counts of one answer. */
export interface Usage {
  tokensIn: number
  tokensOut: number | null
}

/** How much of the end of a response is kept to find its usage (the usage chunk is the last before [DONE]). */
export const USAGE_TAIL_BYTES = 16 * 1024

const NUM = (key: string): RegExp => new RegExp(`"${key}"\\s*:\\s*(\\d+)`)
const IN = [NUM('prompt_tokens'), NUM('input_tokens')]
const OUT = [NUM('completion_tokens'), NUM('output_tokens')]

const first = (res: RegExp[], text: string): number | null => {
  for (const re of res) {
    const m = re.exec(text)
    if (m) return Number(m[1])
  }
  return null
}

/**
 * The token counts from the end of an upstream answer, JSON or SSE, when it shows them: OpenAI's
 * `usage.prompt_tokens/completion_tokens` (chat, completions, embeddings; a stream only with
 * `stream_options.include_usage`), or `input_tokens/output_tokens` (responses, Anthropic messages). The last
 * `"usage"` with numbers wins; null when there is none.
 */
export function usageFromTail(text: string): Usage | null {
  let at = text.lastIndexOf('"usage"')
  while (at >= 0) {
    // The usage object is flat except for *_details members; 600 characters cover it.
    const slice = text.slice(at, at + 600)
    const tokensIn = first(IN, slice)
    if (tokensIn !== null) return { tokensIn, tokensOut: first(OUT, slice) }
    at = at === 0 ? -1 : text.lastIndexOf('"usage"', at - 1)
  }
  return null
}

/** Keeps the last `max` bytes of a byte stream. */
export class Tail {
  #chunks: Buffer[] = []
  #size = 0
  constructor(private readonly max = USAGE_TAIL_BYTES) {}

  push(c: Buffer): void {
    this.#chunks.push(c)
    this.#size += c.length
    while (this.#chunks.length > 1 && this.#size - (this.#chunks[0] as Buffer).length >= this.max) {
      this.#size -= (this.#chunks.shift() as Buffer).length
    }
  }

  text(): string {
    const all = Buffer.concat(this.#chunks)
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8')
  }
}
