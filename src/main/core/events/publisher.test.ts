import { describe, expect, it } from 'vitest'
import { latestOnly, latestPer, Publisher } from './publisher'

describe('Publisher', () => {
  it('delivers to every subscriber in order and stops after dispose', () => {
    const p = new Publisher<number>()
    const a: number[] = []
    const b: number[] = []
    const subA = p.subscribe((e) => a.push(e))
    p.subscribe((e) => b.push(e))
    p.publish(1)
    subA.dispose()
    p.publish(2)
    expect(a).toEqual([1])
    expect(b).toEqual([1, 2])
    expect(p.size).toBe(1)
  })

  it('isolates a throwing listener: the others still get the event and the error is reported', () => {
    const errors: unknown[] = []
    const p = new Publisher<string>({ onListenerError: (e) => errors.push(e) })
    const got: string[] = []
    p.subscribe(() => {
      throw new Error('boom')
    })
    p.subscribe((e) => got.push(e))
    p.publish('x')
    expect(got).toEqual(['x'])
    expect(String(errors[0])).toContain('boom')
  })

  it('streams the snapshot first, then live events, and detaches when aborted', async () => {
    const p = new Publisher<number>()
    const ac = new AbortController()
    const it = p.stream(ac.signal, { initial: () => [0] })
    expect((await it.next()).value).toBe(0)
    expect(p.size).toBe(1)
    p.publish(1)
    p.publish(2)
    expect((await it.next()).value).toBe(1)
    expect((await it.next()).value).toBe(2)
    const pending = it.next()
    ac.abort()
    expect((await pending).done).toBe(true)
    expect(p.size).toBe(0)
  })

  it('coalesces a burst to the latest unread event with latestOnly', async () => {
    const p = new Publisher<number>()
    const ac = new AbortController()
    const it = p.stream(ac.signal, { enqueue: latestOnly })
    const first = it.next() // subscribes
    p.publish(1)
    expect((await first).value).toBe(1)
    p.publish(2)
    p.publish(3)
    p.publish(4)
    expect((await it.next()).value).toBe(4)
    ac.abort()
  })

  it('coalesces per key with latestPer: an unread event is replaced in its place, keyless ones are kept', async () => {
    const p = new Publisher<{ id?: string; n: number }>()
    const ac = new AbortController()
    const it = p.stream(ac.signal, { enqueue: latestPer((e) => e.id) })
    const first = it.next()
    p.publish({ id: 'a', n: 1 })
    expect((await first).value).toEqual({ id: 'a', n: 1 })
    for (const e of [{ id: 'a', n: 2 }, { id: 'b', n: 3 }, { n: 4 }, { n: 5 }, { id: 'a', n: 6 }]) p.publish(e)
    const got = [(await it.next()).value, (await it.next()).value, (await it.next()).value, (await it.next()).value]
    expect(got.map((e) => e.n)).toEqual([6, 3, 4, 5])
    ac.abort()
  })
})
