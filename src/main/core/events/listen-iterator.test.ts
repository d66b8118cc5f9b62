import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { listenIterator } from './listen-iterator'

const source = () => {
  const ev = new EventEmitter()
  const subscribe = (push: (e: number) => void) => {
    ev.on('e', push)
    return { dispose: () => void ev.off('e', push) }
  }
  return { ev, subscribe }
}

describe('listenIterator', () => {
  it('yields the initial items, then live events in order, and unsubscribes when the consumer returns', async () => {
    const s = source()
    const it = listenIterator(s.subscribe, undefined, { initial: () => [1, 2] })
    expect((await it.next()).value).toBe(1)
    s.ev.emit('e', 3) // arrives while the initial items are being read: not lost
    expect((await it.next()).value).toBe(2)
    expect((await it.next()).value).toBe(3)
    const pending = it.next()
    s.ev.emit('e', 4)
    expect((await pending).value).toBe(4)
    await it.return(undefined)
    expect(s.ev.listenerCount('e')).toBe(0)
  })

  it('coalesces with a custom enqueue and ends on abort', async () => {
    const s = source()
    const ctl = new AbortController()
    const it = listenIterator(s.subscribe, ctl.signal, { enqueue: (q, e) => (q.length ? (q[0] = e) : q.push(e)) })
    const first = it.next()
    s.ev.emit('e', 1)
    expect((await first).value).toBe(1)
    s.ev.emit('e', 2)
    s.ev.emit('e', 3)
    expect((await it.next()).value).toBe(3)
    const waiting = it.next()
    ctl.abort()
    expect((await waiting).done).toBe(true)
    expect(s.ev.listenerCount('e')).toBe(0)
  })
})
