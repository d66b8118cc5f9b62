import type Dockerode from 'dockerode'
import type { LogLine } from '../../../shared/contract/deployments'
import { demuxFrames, FrameDemuxer } from '../docker/frames'

/** Splits one stream of a docker log (timestamps on) into lines. */
function lineSplitter(stream: LogLine['stream'], onLine: (l: LogLine) => void): (text: string) => void {
  let rest = ''
  return (text) => {
    rest += text
    const parts = rest.split('\n')
    rest = parts.pop() ?? ''
    for (const p of parts) onLine(parseLine(stream, p))
  }
}

export function parseLine(stream: LogLine['stream'], raw: string): LogLine {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (.*)$/s.exec(raw)
  return m ? { at: m[1]!, stream, text: m[2]!.replace(/\r$/, '') } : { at: null, stream, text: raw.replace(/\r$/, '') }
}

/** Demultiplexed, timestamped lines of a non-TTY `docker logs` buffer. */
export function parseLogBuffer(raw: Buffer): LogLine[] {
  const out: LogLine[] = []
  for (const f of demuxFrames(raw)) for (const l of f.text.split('\n')) if (l) out.push(parseLine(f.stream, l))
  return out
}

/**
 * Follows a container's log from its start (so phases are replayed for an adopted container) until the
 * container stops or `stop()` is called. Lines arrive in order per stream.
 */
export class LogFollower {
  private stream: NodeJS.ReadableStream | undefined
  private stopped = false

  constructor(
    private readonly container: Dockerode.Container,
    private readonly onLine: (l: LogLine) => void,
    private readonly onEnd: () => void,
  ) {}

  async start(since?: number): Promise<void> {
    const s = (await this.container.logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      since: since ?? 0,
    })) as NodeJS.ReadableStream
    if (this.stopped) {
      ;(s as unknown as { destroy?: () => void }).destroy?.()
      return
    }
    this.stream = s
    const lines = { stdout: lineSplitter('stdout', this.onLine), stderr: lineSplitter('stderr', this.onLine) }
    const frames = new FrameDemuxer((stream, text) => lines[stream](text))
    s.on('data', (chunk: Buffer) => frames.push(chunk))
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      if (!this.stopped) this.onEnd()
    }
    s.on('end', end)
    s.on('close', end)
    s.on('error', end)
  }

  stop(): void {
    this.stopped = true
    ;(this.stream as unknown as { destroy?: () => void } | undefined)?.destroy?.()
  }
}
