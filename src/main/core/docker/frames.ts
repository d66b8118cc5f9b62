import { StringDecoder } from 'node:string_decoder'

/** Which output of the container a log frame carries (Docker's stream byte: 0 stdin, 1 stdout, 2 stderr). */
export type FrameStream = 'stdout' | 'stderr'

export interface LogFrame {
  stream: FrameStream
  text: string
}

const HEADER = 8

/** Whether `buf` starts with a multiplexed-frame header ([stream 0|1|2, 0, 0, 0, size u32 BE]). */
function looksFramed(buf: Buffer): boolean {
  return buf.length >= HEADER && (buf[0] ?? 9) <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0
}

/**
 * Splits a non-TTY Docker log stream (8-byte frame headers) into per-stream text, fed chunk by chunk:
 * a header or payload split across chunks, and a UTF-8 character split across frames, come out whole.
 * A stream that does not start with a frame header (a TTY container) is passed through as stdout.
 */
export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0)
  private raw: boolean | undefined
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') }

  constructor(private readonly onText: (stream: FrameStream, text: string) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk
    if (this.raw === undefined) {
      if (this.pending.length < HEADER) return
      this.raw = !looksFramed(this.pending)
    }
    if (this.raw) {
      this.emit('stdout', this.pending)
      this.pending = Buffer.alloc(0)
      return
    }
    let i = 0
    while (i + HEADER <= this.pending.length) {
      const len = this.pending.readUInt32BE(i + 4)
      if (i + HEADER + len > this.pending.length) break
      this.emit(this.pending[i] === 2 ? 'stderr' : 'stdout', this.pending.subarray(i + HEADER, i + HEADER + len))
      i += HEADER + len
    }
    this.pending = this.pending.subarray(i)
  }

  /** The end of the stream: whatever is left (a short buffer, a cut frame) is flushed as text. */
  end(): void {
    if (this.pending.length) {
      const framed = this.raw === false && this.pending.length > HEADER
      this.emit(framed && this.pending[0] === 2 ? 'stderr' : 'stdout', framed ? this.pending.subarray(HEADER) : this.pending)
    }
    this.pending = Buffer.alloc(0)
    for (const s of ['stdout', 'stderr'] as const) {
      const rest = this.decoders[s].end()
      if (rest) this.onText(s, rest)
    }
  }

  private emit(stream: FrameStream, bytes: Buffer): void {
    const text = this.decoders[stream].write(bytes)
    if (text) this.onText(stream, text)
  }
}

/** The frames of a whole `docker logs` buffer (follow: false), one entry per frame in order; a TTY log is one stdout entry. */
export function demuxFrames(buf: Buffer): LogFrame[] {
  const out: LogFrame[] = []
  const d = new FrameDemuxer((stream, text) => out.push({ stream, text }))
  d.push(buf)
  d.end()
  return out
}

/** The text of a whole `docker logs` buffer, stdout and stderr interleaved as written. */
export function demuxText(buf: Buffer): string {
  return demuxFrames(buf)
    .map((f) => f.text)
    .join('')
}

/** Stdout, stderr and both of a whole `docker logs` buffer. */
export function demuxStreams(buf: Buffer): { stdout: string; stderr: string; all: string } {
  const frames = demuxFrames(buf)
  const join = (s?: FrameStream): string =>
    frames
      .filter((f) => !s || f.stream === s)
      .map((f) => f.text)
      .join('')
  return { stdout: join('stdout'), stderr: join('stderr'), all: join() }
}
