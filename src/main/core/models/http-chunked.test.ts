import { describe, expect, it } from 'vitest'
import { dechunk, HttpProtocolError, newChunkState } from './http-chunked'

/** Feeds `wire` in pieces of `step` bytes; the decoded payload and whether the body ended. */
function decode(wire: string, step: number): { body: string; ended: boolean } {
  const st = newChunkState()
  const buf = Buffer.from(wire, 'latin1')
  let body = ''
  for (let i = 0; i < buf.length && st.size !== -2; i += step)
    for (const part of dechunk(st, buf.subarray(i, i + step))) body += part.toString('latin1')
  return { body, ended: st.size === -2 }
}

describe('dechunk', () => {
  const wire = '5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\n'

  it('decodes sizes (hex, with extensions), data and trailers, however the bytes are split', () => {
    for (const step of [1, 2, 3, 7, 1000]) expect(decode(wire, step), `step ${step}`).toEqual({ body: 'hello 0123456789', ended: true })
  })

  it('is not done before the empty line after the last chunk', () => {
    expect(decode('3\r\nabc\r\n0\r\n', 4)).toEqual({ body: 'abc', ended: false })
    expect(decode('3\r\nabc\r\n', 100)).toEqual({ body: 'abc', ended: false })
  })

  it('leaves bytes after the body alone (the next response on the connection)', () => {
    const st = newChunkState()
    const parts = dechunk(st, Buffer.from('2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n'))
    expect(Buffer.concat(parts).toString()).toBe('ok')
    expect(st.size).toBe(-2)
  })

  it('refuses a size that is not hex, data not followed by CRLF, an endless size line', () => {
    expect(() => decode('zz\r\n', 100)).toThrow(HttpProtocolError)
    expect(() => decode('-1\r\n', 100)).toThrow(/size line/)
    expect(() => decode('2\r\nokX\r\n', 100)).toThrow(/no CRLF/)
    expect(() => decode('1'.repeat(5000), 100)).toThrow(/longer than 4 KiB/)
  })
})
