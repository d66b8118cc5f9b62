import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import { Backoff } from '../../../shared/backoff.js'

export interface ContainerEvent {
  action: string
  id: string
  attributes: Record<string, string>
}

/**
 * Docker's event stream for our containers, reconnecting (500 ms → 2 s backoff) after the daemon goes
 * away; `onConnect` runs on every (re)connection so the caller can reconcile what it missed.
 */
export class DockerEvents {
  private req: NodeJS.ReadableStream | undefined
  private timer: NodeJS.Timeout | undefined
  private closed = false
  /** Streams dropped on purpose: their end does not schedule a reconnect. */
  private readonly ignore = new WeakSet<object>()
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 2000, jitter: 0 })
  connected = false

  constructor(
    private readonly o: {
      docker: () => Dockerode
      logger: Logger
      labels: string[]
      onEvent: (e: ContainerEvent) => void
      onConnect: () => void
      onDisconnect: () => void
    },
  ) {}

  start(): void {
    void this.connect()
  }

  private async connect(): Promise<void> {
    if (this.closed) return
    try {
      const stream = (await this.o
        .docker()
        .getEvents({ filters: JSON.stringify({ type: ['container'], label: this.o.labels }) })) as NodeJS.ReadableStream
      if (this.closed) {
        ;(stream as unknown as { destroy(): void }).destroy()
        return
      }
      this.req = stream
      this.connected = true
      this.backoff.reset()
      let buf = ''
      stream.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8')
        const lines = buf.split('\n')
        buf = lines.pop() ?? ''
        for (const line of lines) {
          if (!line.trim()) continue
          try {
            const e = JSON.parse(line) as {
              Action?: string
              status?: string
              Actor?: { ID?: string; Attributes?: Record<string, string> }
              id?: string
            }
            this.o.onEvent({ action: e.Action ?? e.status ?? '', id: e.Actor?.ID ?? e.id ?? '', attributes: e.Actor?.Attributes ?? {} })
          } catch (err) {
            this.o.logger.debug({ err }, 'unparsable docker event')
          }
        }
      })
      let done = false
      const lost = (): void => {
        if (done) return
        done = true
        if (this.ignore.has(stream)) return
        this.connected = false
        if (!this.closed) {
          this.o.logger.warn('docker event stream ended; reconnecting')
          this.o.onDisconnect()
          this.schedule()
        }
      }
      stream.on('end', lost)
      stream.on('close', lost)
      stream.on('error', lost)
      this.o.onConnect()
    } catch (err) {
      this.connected = false
      this.o.logger.debug({ err }, 'docker events: connect failed')
      this.schedule()
    }
  }

  private schedule(): void {
    if (this.closed) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.connect(), this.backoff.next())
  }

  /** Drop the current stream and connect again (e.g. the Docker endpoint setting changed). */
  reconnect(): void {
    if (this.closed) return
    const old = this.req
    this.req = undefined
    this.connected = false
    clearTimeout(this.timer)
    this.backoff.reset()
    if (old) this.ignore.add(old)
    ;(old as unknown as { destroy?: () => void } | undefined)?.destroy?.()
    void this.connect()
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    ;(this.req as unknown as { destroy?: () => void } | undefined)?.destroy?.()
  }
}
