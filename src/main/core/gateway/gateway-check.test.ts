import { describe, expect, it } from 'vitest'
import { gatewayCheck } from './gateway-app'

describe("the doctor's gateway check", () => {
  const base = { enabled: true, running: false, url: null, host: '0.0.0.0', port: 8000, error: null }

  it('a port in use is a warning naming it, with the fix; the rest of the app runs on', () => {
    const error = {
      code: 'EADDRINUSE',
      message: 'Port 8000 is in use by another program. It is held by python3 (pid 77).',
      fix: 'Choose another gateway port in Settings.',
    }
    expect(gatewayCheck({ ...base, error })).toEqual({
      id: 'gateway',
      title: 'OpenAI-compatible gateway',
      status: 'warn',
      detail: error.message,
      fix: error.fix,
    })
  })

  it('listening or turned off is fine, and says which', () => {
    expect(gatewayCheck({ ...base, running: true, url: 'http://127.0.0.1:8000/v1' })).toMatchObject({
      status: 'ok',
      detail: 'Listening on 0.0.0.0:8000 (http://127.0.0.1:8000/v1).',
    })
    expect(gatewayCheck({ ...base, enabled: false })).toMatchObject({ status: 'ok', fix: null })
  })
})
