import { describe, expect, it } from 'vitest'
import { authorize, isLoopback, presentedKey } from './auth'
import type { GatewayKeyInfo } from './keys'

const info: GatewayKeyInfo = { id: '1', name: 'ci', prefix: 'iagw-abcd…', created: '2026-01-01T00:00:00.000Z', requestsPerMinute: null }
const verify = (k: string): GatewayKeyInfo | null => (k === 'iagw-good' ? info : null)

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['192.168.1.5', false],
    ['172.17.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['fd00::2', false],
    [undefined, false],
  ])('%s → %s', (a, expected) => expect(isLoopback(a)).toBe(expected))
})

describe('presentedKey', () => {
  it('reads Bearer or x-api-key', () => {
    expect(presentedKey({ authorization: 'Bearer iagw-x' })).toBe('iagw-x')
    expect(presentedKey({ authorization: 'bearer  iagw-x ' })).toBe('iagw-x')
    expect(presentedKey({ 'x-api-key': 'iagw-y' })).toBe('iagw-y')
    expect(presentedKey({ authorization: 'Basic abc' })).toBeNull()
  })
})

describe('authorize', () => {
  const auth = (remoteAddress: string, headers: Record<string, string> = {}, requireKeyOnLoopback = false) =>
    authorize({ remoteAddress, headers, requireKeyOnLoopback, verify })

  it('lets this machine in without a key, or with a dummy one, unless keys are required there too', () => {
    expect(auth('127.0.0.1')).toEqual({ ok: true, key: null })
    expect(auth('::1', { authorization: 'Bearer EMPTY' })).toEqual({ ok: true, key: null })
    expect(auth('127.0.0.1', { authorization: 'Bearer iagw-good' })).toEqual({ ok: true, key: info })
    const r = auth('127.0.0.1', {}, true)
    expect(!r.ok && r.error.message).toContain('the setting to require keys on this machine is on')
  })

  it('needs a valid key from other machines: 401 in OpenAI shape otherwise', () => {
    expect(auth('192.168.1.5', { authorization: 'Bearer iagw-good' })).toEqual({ ok: true, key: info })
    const missing = auth('192.168.1.5')
    expect(!missing.ok && missing.error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' })
    expect(!missing.ok && missing.error.message).toContain('requests from other machines and containers')
    const wrong = auth('172.17.0.2', { authorization: 'Bearer iagw-revoked-key' })
    expect(!wrong.ok && wrong.error.message).toBe(
      'Incorrect API key provided: iagw-revo…. It was revoked or never existed; create one on the Gateway page in InferAdmin.',
    )
  })
})
