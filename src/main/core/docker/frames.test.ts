import { describe, expect, it } from 'vitest'
import { demuxFrames, demuxStreams, demuxText, FrameDemuxer, type FrameStream } from './frames'

function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8')
  const head = Buffer.alloc(8)
  head[0] = stream
  head.writeUInt32BE(body.length, 4)
  return Buffer.concat([head, body])
}

function collect(chunks: Buffer[]): Array<[FrameStream, string]> {
  const out: Array<[FrameStream, string]> = []
  const d = new FrameDemuxer((s, t) => out.push([s, t]))
  for (const c of chunks) d.push(c)
  d.end()
  return out
}

describe('Docker log frames', () => {
  it('splits a whole buffer into its stdout and stderr frames', () => {
    const buf = Buffer.concat([frame(1, 'loading\n'), frame(2, 'warning: slow\n'), frame(1, 'ready\n')])
    expect(demuxFrames(buf)).toEqual([
      { stream: 'stdout', text: 'loading\n' },
      { stream: 'stderr', text: 'warning: slow\n' },
      { stream: 'stdout', text: 'ready\n' },
    ])
    expect(demuxText(buf)).toBe('loading\nwarning: slow\nready\n')
    expect(demuxStreams(buf)).toEqual({ stdout: 'loading\nready\n', stderr: 'warning: slow\n', all: 'loading\nwarning: slow\nready\n' })
  })

  it('puts a frame back together when its header and payload arrive in separate chunks, byte by byte', () => {
    const buf = Buffer.concat([frame(1, 'first line\n'), frame(2, 'second line\n')])
    const bytes = [...buf].map((b) => Buffer.from([b]))
    expect(
      collect(bytes)
        .map(([s, t]) => `${s}:${t}`)
        .join(''),
    ).toBe('stdout:first line\nstderr:second line\n')
    const cut = [buf.subarray(0, 5), buf.subarray(5, 13), buf.subarray(13)]
    expect(collect(cut)).toEqual([
      ['stdout', 'first line\n'],
      ['stderr', 'second line\n'],
    ])
  })

  it('keeps a UTF-8 character whole when Docker splits it across two frames', () => {
    const euro = Buffer.from('€', 'utf8')
    const buf = Buffer.concat([frame(1, Buffer.concat([Buffer.from('cost '), euro.subarray(0, 2)])), frame(1, euro.subarray(2))])
    expect(demuxText(buf)).toBe('cost €')
  })

  it('passes the log of a TTY container (no frame headers) through as stdout', () => {
    const tty = 'GPU 0: NVIDIA H100 (UUID: GPU-1)\n'
    expect(demuxFrames(Buffer.from(tty))).toEqual([{ stream: 'stdout', text: tty }])
    expect(demuxText(Buffer.from('ok'))).toBe('ok')
    expect(demuxText(Buffer.alloc(0))).toBe('')
  })

  it('flushes a frame cut short at the end of the stream instead of dropping it', () => {
    const whole = frame(2, 'Traceback (most recent call last)\n')
    expect(demuxFrames(whole.subarray(0, whole.length - 6))).toEqual([{ stream: 'stderr', text: 'Traceback (most recent call ' }])
  })
})
