import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { waitSettle } from './wait-settle'

function source() {
  const ev = new EventEmitter()
  let state = 'loading'
  const subscribe = (check: () => void) => {
    ev.on('change', check)
    return [{ dispose: () => void ev.off('change', check) }]
  }
  const set = (s: string): void => {
    state = s
    ev.emit('change')
  }
  return {
    ev,
    subscribe,
    set,
    get state() {
      return state
    },
  }
}

describe('waitSettle', () => {
  it('resolves on the event that settles it and unsubscribes', async () => {
    const s = source()
    const p = waitSettle({
      subscribe: s.subscribe,
      settle: () => (s.state === 'ready' ? { ok: s.state } : undefined),
      timeoutError: () => new Error('late'),
    })
    s.set('loading')
    s.set('ready')
    await expect(p).resolves.toBe('ready')
    expect(s.ev.listenerCount('change')).toBe(0)
  })

  it('rejects with the settle error, the timeout error or the abort reason', async () => {
    const s = source()
    const failed = waitSettle({
      subscribe: s.subscribe,
      settle: () => (s.state === 'failed' ? { err: new Error('boom') } : undefined),
      timeoutError: () => new Error('late'),
    })
    s.set('failed')
    await expect(failed).rejects.toThrow('boom')
    await expect(
      waitSettle({ subscribe: s.subscribe, settle: () => undefined, timeoutMs: 5, timeoutError: () => new Error('late') }),
    ).rejects.toThrow('late')
    const ctl = new AbortController()
    const aborted = waitSettle({
      subscribe: s.subscribe,
      settle: () => undefined,
      signal: ctl.signal,
      timeoutError: () => new Error('late'),
    })
    ctl.abort(new Error('gone'))
    await expect(aborted).rejects.toThrow('gone')
    expect(s.ev.listenerCount('change')).toBe(0)
  })

  it('settles at once when already there', async () => {
    const s = source()
    await expect(waitSettle({ subscribe: s.subscribe, settle: () => ({ ok: 1 }), timeoutError: () => new Error('late') })).resolves.toBe(1)
  })
})
