/** Small bodies of http-get.ts responses: error texts and bodies to let go. */
import type { BodySink, HttpResponse } from './http-get'

/** A sink that keeps up to `limit` bytes (for error texts and drained bodies); `stop`: done at the limit. */
function collect(limit: number, stop = true): BodySink & { parts: Buffer[]; n: number } {
  return {
    parts: [],
    n: 0,
    paused: false,
    get done() {
      return stop && this.n >= limit
    },
    space: () => null,
    filled: () => undefined,
    copy(buf) {
      if (this.n < limit) this.parts.push(buf.subarray(0, limit - this.n))
      this.n += buf.length
    },
  }
}

/** Lets a response with an empty or small body go (the connection is reused), else drops it. */
export function discard(res: HttpResponse): void {
  const length = Number(res.headers.get('content-length') ?? NaN)
  if (Number.isFinite(length) && length <= 65536) void res.read(collect(0, false)).catch(() => undefined)
  else res.destroy()
}

/** The body as text (at most `limit` bytes), for error messages. */
export async function bodyText(res: HttpResponse, limit = 4096): Promise<string> {
  const sink = collect(limit)
  await res.read(sink)
  return Buffer.concat(sink.parts).toString('utf8').slice(0, limit)
}
