import { afterEach, describe, expect, it, vi } from 'vitest'
import type { BackendState } from './backends'
import { backend, FakeBackends } from './fake-backends.fixture'
import { holdStep, Holds, type HoldOutcome } from './hold'

describe('holdStep', () => {
  const b = (state: BackendState, o = {}) => backend('m', { state, endpoint: state === 'ready' ? 'http://127.0.0.1:1' : null, ...o })
  const fresh = { startIssued: false, sawProgress: false }
  const issued = { startIssued: true, sawProgress: false }
  const progressed = { startIssued: true, sawProgress: true }

  it.each([
    ['ready', fresh, 'serve'],
    ['stopped', fresh, 'start'],
    ['sleeping', fresh, 'start'],
    ['failed', fresh, 'start'],
    ['stopped', issued, 'wait'],
    ['failed', issued, 'wait'],
    ['stopping', fresh, 'wait'],
    ['creating', issued, 'wait'],
    ['loading', progressed, 'wait'],
    ['stopped', progressed, 'fail'],
    ['failed', progressed, 'fail'],
    ['failed', { startIssued: false, sawProgress: true }, 'fail'],
  ] as const)('%s with %j → %s', (state, facts, expected) => {
    expect(holdStep(b(state), facts).do).toBe(expected)
  })

  it('fails with the diagnosis, and when the backend is gone or turned off', () => {
    expect(holdStep(b('failed', { diagnosis: 'CUDA out of memory' }), progressed)).toEqual({ do: 'fail', reason: 'CUDA out of memory' })
    expect(holdStep(undefined, fresh).do).toBe('fail')
    expect(holdStep(b('ready', { serve: 'off' }), fresh).do).toBe('fail')
  })
})

describe('Holds', () => {
  afterEach(() => vi.useRealTimers())

  const setup = (o: { maxWaitMs?: number; queueLimit?: number } = {}) => {
    const backends = new FakeBackends([backend('m', { servedNames: ['model-m'] })])
    const colds: number[] = []
    const holds = new Holds(backends, {
      maxWaitMs: o.maxWaitMs ?? 600_000,
      queueLimit: o.queueLimit ?? 100,
      onColdStart: (_b, ms) => colds.push(ms),
    })
    backends.onChange(() => holds.update())
    const hold = (signal = new AbortController().signal, onUpdate?: Parameters<Holds['hold']>[2]): Promise<HoldOutcome> => {
      const r = holds.hold(backends.get('m'), signal, onUpdate)
      if (!r.ok) throw new Error(r.error.message)
      return r.done
    }
    return { backends, holds, hold, colds }
  }

  it('starts a stopped backend once for 20 concurrent requests and serves them all when it is ready', async () => {
    const { backends, holds, hold, colds } = setup()
    const all = Promise.all(Array.from({ length: 20 }, () => hold()))
    expect(backends.starts).toEqual(['m'])
    expect(holds.held('m')).toBe(20)
    backends.set('m', { state: 'creating' })
    backends.set('m', { state: 'loading', phase: 'loading weights', progress: 0.5 })
    expect(backends.starts).toEqual(['m'])
    backends.set('m', { state: 'ready', endpoint: 'http://127.0.0.1:9' })
    const outcomes = await all
    expect(outcomes.every((o) => o.ok && o.backend.endpoint === 'http://127.0.0.1:9')).toBe(true)
    expect(holds.held('m')).toBe(0)
    expect(colds).toHaveLength(1)
  })

  it('answers every held request with 503, the diagnosis and x-should-retry: false when the start fails', async () => {
    const { backends, hold } = setup()
    const a = hold()
    const b = hold()
    backends.set('m', { state: 'starting' })
    backends.set('m', { state: 'failed', diagnosis: 'CUDA out of memory: 2 GiB short' })
    for (const o of await Promise.all([a, b])) {
      expect(o.ok).toBe(false)
      if (o.ok) continue
      expect(o.error).toMatchObject({ status: 503, code: 'model_load_failed', headers: { 'x-should-retry': 'false' } })
      expect(o.error?.message).toBe('The model `model-m` could not be loaded: CUDA out of memory: 2 GiB short')
    }
  })

  it('retries a backend that failed before, waiting past the stale failed state', async () => {
    const { backends, hold } = setup()
    backends.set('m', { state: 'failed', diagnosis: 'old' })
    const p = hold()
    expect(backends.starts).toEqual(['m'])
    backends.emit() // an unrelated change: still the old failure
    backends.set('m', { state: 'creating' })
    backends.set('m', { state: 'ready', endpoint: 'http://127.0.0.1:9' })
    expect((await p).ok).toBe(true)
  })

  it('answers a start refused for memory with 503, Retry-After and the message naming what holds it (a retry may work)', async () => {
    const { backends, hold } = setup()
    const refusal = Object.assign(new Error('Not enough GPU memory to start m: GPU 0: held by chat 9.00 GiB (always-on)'), {
      retryAfterSeconds: 60,
    })
    backends.onStart = () => Promise.reject(refusal)
    const o = await hold()
    expect(!o.ok && o.error).toMatchObject({ status: 503, code: 'insufficient_gpu_memory', retryAfterS: 60 })
    expect(!o.ok && o.error?.headers).toBeUndefined()
    expect(!o.ok && o.error?.message).toContain('held by chat 9.00 GiB (always-on)')
  })

  it('answers 503 with the message when start() throws or rejects', async () => {
    const { backends, hold } = setup()
    backends.onStart = () => {
      throw new Error('Docker is not running')
    }
    const o = await hold()
    expect(!o.ok && o.error?.message).toBe('The model `model-m` could not be loaded: Docker is not running')
    backends.onStart = () => Promise.reject(new Error('image missing'))
    const o2 = await hold()
    expect(!o2.ok && o2.error?.message).toContain('image missing')
  })

  it('serves at once when start() makes the backend ready synchronously', async () => {
    const { backends, hold } = setup()
    backends.onStart = (id) => backends.set(id, { state: 'ready', endpoint: 'http://127.0.0.1:9' })
    expect((await hold()).ok).toBe(true)
    expect(backends.starts).toEqual(['m'])
  })

  it('waits for a stopping backend to stop, then starts it', async () => {
    const { backends, hold } = setup()
    backends.set('m', { state: 'stopping' })
    const p = hold()
    expect(backends.starts).toEqual([])
    backends.set('m', { state: 'stopped' })
    expect(backends.starts).toEqual(['m'])
    backends.set('m', { state: 'ready', endpoint: 'http://127.0.0.1:9' })
    expect((await p).ok).toBe(true)
  })

  it('fails held requests when the backend is stopped while it loads', async () => {
    const { backends, hold } = setup()
    const p = hold()
    backends.set('m', { state: 'loading' })
    backends.set('m', { state: 'stopped' })
    const o = await p
    expect(!o.ok && o.error?.message).toContain('stopped while it loaded')
    expect(backends.starts).toEqual(['m'])
  })

  it('drops a request whose client goes away, without cancelling the start', async () => {
    const { backends, holds, hold } = setup()
    const ac = new AbortController()
    const p = hold(ac.signal)
    ac.abort()
    expect(await p).toEqual({ ok: false, error: null })
    expect(holds.held('m')).toBe(0)
    expect(backends.starts).toEqual(['m'])
  })

  it('refuses a request over the queue limit with 429 and Retry-After', async () => {
    const { backends, holds, hold } = setup({ queueLimit: 2 })
    void hold()
    void hold()
    const r = holds.hold(backends.get('m'), new AbortController().signal)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatchObject({ status: 429, code: 'queue_full', type: 'rate_limit_error', retryAfterS: 5 })
  })

  it('gives up after the maximum wait with 503, Retry-After from the ETA and the phase in the message', async () => {
    vi.useFakeTimers()
    const { backends, hold } = setup({ maxWaitMs: 60_000 })
    const p = hold()
    backends.set('m', { state: 'loading', phase: 'loading weights', etaSeconds: 42.5 })
    vi.advanceTimersByTime(60_000)
    const o = await p
    expect(o.ok).toBe(false)
    if (o.ok) return
    expect(o.error).toMatchObject({ status: 503, code: 'model_loading', retryAfterS: 43 })
    expect(o.error?.message).toBe(
      "The model `model-m` is still loading after 1 min (loading weights, about 43 s left). Retry later, or raise the gateway's maximum wait in Settings.",
    )
  })

  it('passes each change to the held request while it waits (load progress)', async () => {
    const { backends, hold } = setup()
    const phases: (string | undefined)[] = []
    const p = hold(undefined, (b) => phases.push(b.phase))
    backends.set('m', { state: 'loading', phase: 'downloading' })
    backends.set('m', { state: 'loading', phase: 'loading weights' })
    backends.set('m', { state: 'ready', endpoint: 'http://127.0.0.1:9' })
    await p
    expect(phases.slice(-2)).toEqual(['downloading', 'loading weights'])
  })

  it('answers held requests with 503 when disposed', async () => {
    const { holds, hold } = setup()
    const p = hold()
    holds.dispose()
    const o = await p
    expect(!o.ok && o.error?.code).toBe('gateway_stopping')
  })
})
