import { describe, expect, it } from 'vitest'
import { CannotFitError, fittingUtilization, GENERIC_FIX, refusalFix } from './refusal'

describe('fittingUtilization (the one-click fix of a refused fixed utilization)', () => {
  const GiB = 1024 ** 3
  it('is the largest utilization, rounded down to 0.01, that the usable memory of every GPU of the start holds', () => {
    expect(fittingUtilization({ asked: 0.95, gpus: [{ usableBytes: 19.87 * GiB, totalBytes: 24 * GiB }] })).toBe(0.82)
    const two = [
      { usableBytes: 20 * GiB, totalBytes: 24 * GiB },
      { usableBytes: 12 * GiB, totalBytes: 24 * GiB },
    ]
    expect(fittingUtilization({ asked: 0.9, gpus: two })).toBe(0.5)
  })
  it('is null when nothing lower fits usefully (below 0.05), it would not be lower than asked, or no GPU is pinned', () => {
    expect(fittingUtilization({ asked: 0.95, gpus: [{ usableBytes: 0.5 * GiB, totalBytes: 24 * GiB }] })).toBeNull()
    expect(fittingUtilization({ asked: 0.5, gpus: [{ usableBytes: 20 * GiB, totalBytes: 24 * GiB }] })).toBeNull()
    expect(fittingUtilization({ asked: 0.95, gpus: [] })).toBeNull()
  })
})

describe('refusalFix', () => {
  it('names each holder with what to do about it', () => {
    expect(
      refusalFix([
        { gpu: 0, name: 'llama-8b', why: 'in-flight' },
        { gpu: 0, name: 'embed', why: 'always-on' },
        { gpu: 0, why: 'external' },
      ]),
    ).toBe(
      'Wait for the requests of llama-8b to finish or stop it; stop embed (always-on models are never evicted) or set it to on-demand; ' +
        'free the memory other programs hold on GPU 0 (the GPU page lists them); then start it again.',
    )
  })

  it('lists several models once each, and loading ones apart', () => {
    expect(
      refusalFix([
        { gpu: 0, name: 'a', why: 'loading' },
        { gpu: 1, name: 'b', why: 'loading' },
        { gpu: 1, name: 'a', why: 'loading' },
      ]),
    ).toBe('Wait for a and b to finish loading or stopping; then start it again.')
  })

  it('with nothing holding the memory, the model asks too much: ask less of it', () => {
    expect(refusalFix([])).toMatch(/^Ask less of it: lower its context tokens or sequences/)
  })

  it('the error carries the fix (a generic one when none is given)', () => {
    expect(new CannotFitError('m', 15).fix).toBe(GENERIC_FIX)
    expect(new CannotFitError('m', 15, 'do x')).toMatchObject({ message: 'm', retryAfterSeconds: 15, fix: 'do x' })
  })
})
