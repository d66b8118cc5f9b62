import { describe, expect, it } from 'vitest'
import { formatAliases, parseAliases, parseIdleMinutes, serveNote } from './serve'

describe('serve mode fields', () => {
  it('aliases may be separated by commas, spaces or new lines; repeats are dropped', () => {
    expect(parseAliases(' chat, qwen  small\nchat,, ')).toEqual(['chat', 'qwen', 'small'])
    expect(parseAliases('')).toEqual([])
    expect(formatAliases(['chat', 'qwen'])).toBe('chat, qwen')
  })

  it('idle minutes: empty is the Settings default, 0 is never, anything else must be whole minutes up to a week', () => {
    expect(parseIdleMinutes('')).toEqual({ ok: true, value: undefined })
    expect(parseIdleMinutes(' 0 ')).toEqual({ ok: true, value: 0 })
    expect(parseIdleMinutes('30')).toEqual({ ok: true, value: 30 })
    for (const bad of ['-1', '2.5', 'ten', '10081']) expect(parseIdleMinutes(bad)).toMatchObject({ ok: false })
    expect(parseIdleMinutes('x')).toMatchObject({ error: expect.stringContaining('empty for the Settings default') })
  })

  it('the card says when an on-demand model unloads, taking the Settings default when the deployment has none', () => {
    expect(serveNote({ serve: 'on-demand', idleMinutes: undefined }, 15)).toBe('unloads after 15 min idle')
    expect(serveNote({ serve: 'on-demand', idleMinutes: 5 }, 15)).toBe('unloads after 5 min idle')
    expect(serveNote({ serve: 'on-demand', idleMinutes: 0 }, 15)).toBe('never unloads when idle')
    expect(serveNote({ serve: 'on-demand', idleMinutes: undefined }, null)).toBe('unloads when idle (Settings default)')
    expect(serveNote({ serve: 'always-on', idleMinutes: 5 }, 15)).toBe('started with the app, never unloaded')
    expect(serveNote({ serve: 'off', idleMinutes: undefined }, 15)).toBe('not served by the gateway')
  })
})
