import { Notification } from 'electron'
import type { ShellLogger } from './logger'
import { escapeMarkup } from '../core/notify/notify-rules'

/**
 * Native notifications (issue #17 point 3, the Electron side): shows what a source yields and opens the page it
 * names on click. The rules (what, when, how many) live in core; this adapter only presents them.
 */

/** One notification as the core's notification stream delivers it. */
export interface ShellNotification {
  title: string
  /** Plain text (escaped here: servers with body-markup parse <b>, <a> and &). */
  body: string
  /** The page a click opens. */
  route: string
  urgency: 'low' | 'normal' | 'critical'
}

export interface DesktopNotifierOptions {
  /** Show the window and navigate it to `route`. */
  openRoute(route: string): void
  logger: ShellLogger
}

export class DesktopNotifier {
  /** Kept until click or close: a collected Notification loses its events (electron#16922). */
  private readonly live = new Set<Notification>()
  private unsupportedLogged = false

  constructor(private readonly o: DesktopNotifierOptions) {}

  /** How many notifications are still referenced (for tests and diagnostics). */
  get pending(): number {
    return this.live.size
  }

  show(n: ShellNotification): void {
    if (!Notification.isSupported()) {
      if (!this.unsupportedLogged) this.o.logger.warn({}, 'notifications are not supported here (is libnotify4 installed?)')
      this.unsupportedLogged = true
      return
    }
    const note = new Notification({ title: n.title, body: escapeMarkup(n.body), urgency: n.urgency })
    this.live.add(note)
    const forget = (): void => void this.live.delete(note)
    note.on('click', () => {
      forget()
      this.o.openRoute(n.route)
    })
    note.on('close', forget)
    note.on('failed', (_event, error: string) => {
      forget()
      this.o.logger.warn({ title: n.title, error }, 'a notification could not be shown')
    })
    note.show()
  }

  /** Shows each item of `source` until it ends or `signal` aborts; a failing source is logged, never thrown. */
  async follow(source: AsyncIterable<ShellNotification>, signal: AbortSignal): Promise<void> {
    try {
      for await (const n of source) {
        if (signal.aborted) return
        this.show(n)
      }
    } catch (err) {
      if (!signal.aborted) this.o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'notification stream failed')
    }
  }

  /** Drops the references (quit). */
  dispose(): void {
    for (const note of this.live) note.removeAllListeners()
    this.live.clear()
  }
}
