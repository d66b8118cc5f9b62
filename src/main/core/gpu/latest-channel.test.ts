import { describe, expect, it } from 'vitest'
import { LatestChannel } from './latest-channel'

describe('LatestChannel', () => {
  it('gives a slow subscriber only the newest value, never a backlog', async () => {
    const ch = new LatestChannel<number>()
    const ac = new AbortController()
    const it = ch.subscribe(ac.signal, 0)
    expect((await it.next()).value).toBe(0)
    for (let i = 1; i <= 1000; i++) ch.publish(i)
    expect((await it.next()).value).toBe(1000)
    const pending = it.next()
    ch.publish(1001)
    expect((await pending).value).toBe(1001)
    ac.abort()
    ch.publish(1002)
    expect((await it.next()).done).toBe(true)
    expect(ch.subscribers).toBe(0)
  })

  it('ends a waiting subscriber when its signal aborts', async () => {
    const ch = new LatestChannel<string>()
    const ac = new AbortController()
    const it = ch.subscribe(ac.signal)
    const waiting = it.next()
    expect(ch.subscribers).toBe(1)
    ac.abort()
    expect((await waiting).done).toBe(true)
    expect(ch.subscribers).toBe(0)
  })
})
