/**
 * Chunked transfer-encoding (RFC 9112 §7.1), decoded incrementally for http-get.ts: the caller feeds the
 * bytes as they arrive, in any split, and gets the payload parts back (views into its buffer, no copy).
 */

/** A response that breaks HTTP/1.1 framing (not worth a retry on the same server). */
export class HttpProtocolError extends Error {}

export interface ChunkState {
  /** Bytes left in the current chunk; -1 = reading a size line; -2 = the last chunk was read; -3 = CRLF after data. */
  size: number
  /** The part of a size/trailer line read so far. */
  line: string
  /** After the last (zero-size) chunk: reading trailer lines up to the empty one. */
  trailer: boolean
}

export const newChunkState = (): ChunkState => ({ size: -1, line: '', trailer: false })

/** A size line longer than this is not a size line (chunk extensions included). */
const MAX_LINE = 4096

/** The payload parts in `buf`; `st.size === -2` once the body is complete (bytes after it are not consumed). */
export function dechunk(st: ChunkState, buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  let i = 0
  while (i < buf.length && st.size !== -2) {
    if (st.size > 0) {
      const take = Math.min(st.size, buf.length - i)
      out.push(buf.subarray(i, i + take))
      st.size -= take
      i += take
      if (st.size === 0) st.size = -3 // the CRLF after the data
      continue
    }
    const nl = buf.indexOf(10, i)
    st.line += buf.subarray(i, nl < 0 ? buf.length : nl + 1).toString('latin1')
    i = nl < 0 ? buf.length : nl + 1
    if (st.line.length > MAX_LINE) throw new HttpProtocolError('bad chunked encoding: a size line longer than 4 KiB')
    if (nl < 0) continue
    const line = st.line.trim()
    st.line = ''
    if (st.size === -3) {
      if (line !== '') throw new HttpProtocolError('bad chunked encoding: no CRLF after a chunk')
      st.size = -1
    } else if (st.trailer) {
      if (line === '') st.size = -2
    } else {
      const hex = line.split(';')[0]?.trim() ?? ''
      if (!/^[0-9a-fA-F]{1,12}$/.test(hex))
        throw new HttpProtocolError(`bad chunked encoding: size line ${JSON.stringify(line.slice(0, 40))}`)
      const n = parseInt(hex, 16)
      if (n === 0) st.trailer = true
      else st.size = n
    }
  }
  return out
}
