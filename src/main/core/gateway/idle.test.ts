import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { backend, FakeBackends } from './fake-backends.fixture'
import { idleDeadline, IdleTimers } from './idle'

const ready = { state: 'ready' as const, endpoint: 'http://127.0.0.1:9' }
const MIN = 60_000

describe('idleDeadline', () => {
  const b = backend('m', { ...ready, idleMinutes: 5 })
  const facts = { active: 0, lastEndAt: 1_000, readyAt: 500 }

  it('counts idleMinutes from the end of the last request, or from becoming ready', () => {
    expect(idleDeadline(b, facts)).toBe(1_000 + 5 * MIN)
    expect(idleDeadline(b, { ...facts, lastEndAt: null })).toBe(500 + 5 * MIN)
  })

  it('is never while a request is in flight or held, for always-on, idleMinutes 0, or a backend not serving', () => {
    expect(idleDeadline(b, { ...facts, active: 1 })).toBeNull()
    expect(idleDeadline({ ...b, serve: 'always-on' }, facts)).toBeNull()
    expect(idleDeadline({ ...b, idleMinutes: 0 }, facts)).toBeNull()
    expect(idleDeadline({ ...b, idleMinutes: undefined }, facts)).toBeNull()
    expect(idleDeadline({ ...b, state: 'loading' }, facts)).toBeNull()
    expect(idleDeadline(b, { ...facts, readyAt: null })).toBeNull()
  })
})

describe('IdleTimers', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  const setup = (o = {}) => {
    const backends = new FakeBackends([backend('m', { ...ready, idleMinutes: 5, ...o })])
    const idle = new IdleTimers(backends)
    backends.onChange(() => idle.update())
    idle.update()
    return { backends, idle }
  }

  it('unloads an on-demand model idleMinutes after its last request ended', () => {
    const { backends, idle } = setup()
    idle.begin('m')
    vi.advanceTimersByTime(20 * MIN)
    expect(backends.stops).toEqual([])
    idle.end('m')
    expect(idle.deadline('m')).toBe(Date.now() + 5 * MIN)
    vi.advanceTimersByTime(5 * MIN - 1)
    expect(backends.stops).toEqual([])
    vi.advanceTimersByTime(1)
    expect(backends.stops).toEqual([{ id: 'm', reason: 'idle' }])
    expect(idle.deadline('m')).toBeNull()
  })

  it('restarts the count when a new request ends, and never fires while one is open', () => {
    const { backends, idle } = setup()
    vi.advanceTimersByTime(4 * MIN)
    idle.begin('m')
    idle.begin('m')
    idle.end('m')
    vi.advanceTimersByTime(30 * MIN)
    expect(backends.stops).toEqual([])
    idle.end('m')
    vi.advanceTimersByTime(4 * MIN)
    expect(backends.stops).toEqual([])
    vi.advanceTimersByTime(MIN)
    expect(backends.stops).toHaveLength(1)
  })

  it('counts from becoming ready when no request came (a manual load), and forgets a model stopped by hand', () => {
    const { backends, idle } = setup({ state: 'stopped', endpoint: null })
    expect(idle.deadline('m')).toBeNull()
    backends.set('m', ready)
    expect(idle.deadline('m')).toBe(Date.now() + 5 * MIN)
    backends.set('m', { state: 'stopped', endpoint: null })
    expect(idle.deadline('m')).toBeNull()
    vi.advanceTimersByTime(10 * MIN)
    expect(backends.stops).toEqual([])
  })

  it("keeps an hour of request arrivals per model (the planner's request rate), oldest first", () => {
    const { idle } = setup()
    const t0 = Date.now()
    idle.begin('m')
    vi.advanceTimersByTime(30 * MIN)
    idle.begin('m')
    idle.end('m')
    expect(idle.arrivals('m')).toEqual([t0, t0 + 30 * MIN])
    vi.advanceTimersByTime(31 * MIN)
    expect(idle.arrivals('m')).toEqual([t0 + 30 * MIN])
    expect(idle.arrivals('other')).toEqual([])
  })

  it('never unloads always-on models', () => {
    const { backends } = setup({ serve: 'always-on' })
    vi.advanceTimersByTime(60 * MIN)
    expect(backends.stops).toEqual([])
  })

  it('follows a change of idleMinutes', () => {
    const { backends, idle } = setup()
    idle.begin('m')
    idle.end('m')
    backends.set('m', { idleMinutes: 1 })
    vi.advanceTimersByTime(MIN)
    expect(backends.stops).toHaveLength(1)
  })
})
