import { describe, expect, it } from 'vitest'
import { AppError } from '../errors'
import { HubHttpError, HubUnreachable, hubAppError } from './hub-errors'
import { DiskFullError } from './transfer'
import { fromWire, toWire } from './transfer-wire'

/** Through structured clone, as a worker message travels. */
const across = (err: unknown): Error => fromWire(structuredClone(toWire(err)))

describe('a download error crossing from the transfer thread', () => {
  it('keeps the classes the pull job decides by: disk full pauses, a Hub answer becomes its fix', () => {
    expect(across(new DiskFullError('no space left while writing a/b'))).toBeInstanceOf(DiskFullError)
    const gated = across(new HubHttpError(403, 'GatedRepo', 'gated', 'https://hub/x'))
    expect(gated).toBeInstanceOf(HubHttpError)
    expect(gated).toMatchObject({ status: 403, code: 'GatedRepo', url: 'https://hub/x' })
    const user = hubAppError(gated, { endpoint: 'https://hub', repo: 'o/m', hasToken: false })
    expect(user.message).toMatch(/o\/m is gated/)
    expect(across(new HubUnreachable('refused'))).toBeInstanceOf(HubUnreachable)
  })

  it('keeps an app error’s code and fix, a file error’s errno code, and the message of anything else', () => {
    const app = across(new AppError('NOT_FOUND', 'gone', { fix: 'pick again' }))
    expect(app).toBeInstanceOf(AppError)
    expect(app).toMatchObject({ code: 'NOT_FOUND', message: 'gone', data: { fix: 'pick again' } })
    const io: NodeJS.ErrnoException = new Error('EACCES: permission denied')
    io.code = 'EACCES'
    expect(across(io)).toMatchObject({ message: 'EACCES: permission denied', code: 'EACCES' })
    expect(across(new TypeError('fetch failed'))).toBeInstanceOf(TypeError)
    expect(across('odd').message).toBe('odd')
  })
})
