import { describe, expect, it } from 'vitest'
import { Tail, usageFromTail } from './usage'

describe('usageFromTail', () => {
  it('reads the usage chunk at the end of a chat stream', () => {
    const sse =
      'data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n' +
      'data: {"choices":[],"usage":{"prompt_tokens":12,"total_tokens":17,"completion_tokens":5,"prompt_tokens_details":null}}\n\n' +
      'data: [DONE]\n\n'
    expect(usageFromTail(sse)).toEqual({ tokensIn: 12, tokensOut: 5 })
  })

  it('reads embeddings (no completion tokens) and Anthropic/Responses input/output tokens', () => {
    expect(usageFromTail('{"data":[{"embedding":[0.1]}],"usage":{"prompt_tokens":7,"total_tokens":7}}')).toEqual({
      tokensIn: 7,
      tokensOut: null,
    })
    expect(usageFromTail('{"content":[],"usage":{"input_tokens":3,"output_tokens":9}}')).toEqual({ tokensIn: 3, tokensOut: 9 })
  })

  it('is null when the answer shows no usage', () => {
    expect(usageFromTail('data: {"choices":[],"usage":null}\n\ndata: [DONE]\n\n')).toBeNull()
    expect(usageFromTail('')).toBeNull()
  })
})

describe('Tail', () => {
  it('keeps only the last bytes of what passes', () => {
    const t = new Tail(10)
    for (const s of ['abcdef', 'ghij', 'klmnop']) t.push(Buffer.from(s))
    expect(t.text()).toBe('ghijklmnop')
  })
})
