import { describe, expect, it } from 'vitest'
import { progressEvent, progressLine } from './load-progress'

describe('progressLine', () => {
  it('shows the phase, the percentage and the time left when known', () => {
    expect(progressLine({ state: 'loading', phase: 'loading weights', progress: 0.426, etaSeconds: 29.2 })).toBe(
      'loading weights 43% (about 30 s left)',
    )
    expect(progressLine({ state: 'creating' })).toBe('creating')
    expect(progressLine({ state: 'loading', progress: 7 })).toBe('loading 100%')
  })
})

describe('progressEvent', () => {
  it('is a complete chat.completion.chunk with the text in reasoning_content for chat, never in content', () => {
    const ev = progressEvent('Loading qwen…\n', { chat: true, model: 'qwen', created: 1 })
    expect(ev.startsWith('data: ') && ev.endsWith('\n\n')).toBe(true)
    const chunk = JSON.parse(ev.slice(6)) as { object: string; model: string; choices: { index: number; delta: Record<string, string> }[] }
    expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: 'qwen' })
    expect(chunk.choices[0]?.delta).toEqual({ reasoning_content: 'Loading qwen…\n' })
  })

  it('is SSE comment lines on other routes, which clients ignore', () => {
    expect(progressEvent('Loading qwen…\nloading 50%\n', { chat: false, model: 'qwen', created: 1 })).toBe(
      ': Loading qwen…\n: loading 50%\n\n',
    )
  })
})
