/**
 * What to notify, and when (issue #17 point 3): core events in, desktop notifications out. Pure apart from the
 * injected clock: each kind has its own toggle, events of one kind that arrive close together become one
 * notification (ten downloads finishing = one), and at most `maxPerMinute` go out; the rest wait and keep
 * coalescing. Each notification names the page a click opens. NotifyService (notify-service.ts) feeds it and calls
 * `take()` at `nextAt()`; the shell shows the results as Electron notifications (body through `escapeMarkup`), the
 * web UI as toasts (notifications.watch).
 */

export type NotifyEvent =
  | { kind: 'download-finished'; repo: string }
  | { kind: 'download-failed'; repo: string; message: string }
  | { kind: 'model-ready'; deploymentId: string; name: string }
  | { kind: 'model-failed'; deploymentId: string; name: string; diagnosis: string | null }
  | { kind: 'model-crashed'; deploymentId: string; name: string; oom: boolean; reason: string | null }
  | { kind: 'model-unloaded'; deploymentId: string; name: string; reason: 'idle' | 'evicted' | 'stopped'; detail: string | null }
  | { kind: 'vllm-release'; version: string }
  | { kind: 'webui-ready'; url: string }

export type NotifyKind = NotifyEvent['kind']

/** One toggle per line of Settings → Notifications. */
export type NotifyToggle = 'downloads' | 'modelStart' | 'modelCrash' | 'modelUnload' | 'vllmRelease' | 'webuiReady'
export type NotifyToggles = Record<NotifyToggle, boolean>

/** Unloads happen all the time with on-demand models: off unless the user asks for them. */
export const NOTIFY_DEFAULTS: Readonly<NotifyToggles> = {
  downloads: true,
  modelStart: true,
  modelCrash: true,
  modelUnload: false,
  vllmRelease: true,
  webuiReady: true,
}

export const TOGGLE_OF: Readonly<Record<NotifyKind, NotifyToggle>> = {
  'download-finished': 'downloads',
  'download-failed': 'downloads',
  'model-ready': 'modelStart',
  'model-failed': 'modelStart',
  'model-crashed': 'modelCrash',
  'model-unloaded': 'modelUnload',
  'vllm-release': 'vllmRelease',
  'webui-ready': 'webuiReady',
}

export interface DesktopNotification {
  kind: NotifyKind
  title: string
  /** Plain text, one line per fact; escape it for notification servers that parse markup (`escapeMarkup`). */
  body: string
  /** The page a click opens (a route of the UI). */
  route: string
  urgency: 'normal' | 'critical'
  /** How many events it stands for. */
  count: number
}

export interface NotifyRulesOptions {
  now: () => number
  /** Read at every push and take, so a change in Settings applies to what is still waiting. */
  toggles: () => NotifyToggles
  /** How long the first event of a kind waits for others to join it (ms). */
  coalesceMs?: number
  maxPerMinute?: number
}

const ROUTE: Record<NotifyKind, string> = {
  'download-finished': '/models',
  'download-failed': '/models',
  'model-ready': '/deployments',
  'model-failed': '/deployments',
  'model-crashed': '/deployments',
  'model-unloaded': '/deployments',
  'vllm-release': '/system',
  'webui-ready': '/webui',
}

const CRITICAL: ReadonlySet<NotifyKind> = new Set(['download-failed', 'model-failed', 'model-crashed'])
const MINUTE = 60_000
const MAX_BODY = 200

interface Pending {
  kind: NotifyKind
  firstAt: number
  /** Latest event per subject (a repeat replaces, never doubles). */
  events: Map<string, NotifyEvent>
}

/** One line, capped: notification bodies and diagnoses come from logs. */
export function oneLine(text: string, max = MAX_BODY): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** For servers with body-markup (they parse <b> <a> <img>, and a bare & has blanked notifications). */
export function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function subject(e: NotifyEvent): string {
  switch (e.kind) {
    case 'download-finished':
    case 'download-failed':
      return e.repo
    case 'vllm-release':
    case 'webui-ready':
      return e.kind
    default:
      return e.deploymentId
  }
}

/** "a, b, c and 7 more" */
function list(names: string[]): string {
  if (names.length <= 3) return names.join(', ')
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`
}

function single(e: NotifyEvent): { title: string; body: string } {
  switch (e.kind) {
    case 'download-finished':
      return { title: 'Download finished', body: `${e.repo} is ready to deploy.` }
    case 'download-failed':
      return { title: `Download failed: ${e.repo}`, body: e.message }
    case 'model-ready':
      return { title: `${e.name} is ready`, body: 'It is serving; open it from the Deployments page.' }
    case 'model-failed':
      return { title: `${e.name} failed to start`, body: e.diagnosis ?? 'The log on the Deployments page says why.' }
    case 'model-crashed':
      return e.oom
        ? { title: `${e.name} ran out of GPU memory`, body: e.reason ?? 'It stopped; lower its memory use or context length.' }
        : { title: `${e.name} stopped unexpectedly`, body: e.reason ?? 'The log on the Deployments page says why.' }
    case 'model-unloaded': {
      const why = e.reason === 'idle' ? 'Unloaded after being idle' : e.reason === 'evicted' ? 'Unloaded to make room' : 'Stopped'
      return { title: `${e.name} unloaded`, body: e.detail ? `${why}: ${e.detail}` : `${why}.` }
    }
    case 'vllm-release':
      return { title: `vLLM ${e.version} is out`, body: 'See what changed and update on the System page.' }
    case 'webui-ready':
      return { title: 'Open WebUI is ready', body: e.url }
  }
}

const PLURAL: Record<NotifyKind, (n: number) => string> = {
  'download-finished': (n) => `${n} downloads finished`,
  'download-failed': (n) => `${n} downloads failed`,
  'model-ready': (n) => `${n} models ready`,
  'model-failed': (n) => `${n} models failed to start`,
  'model-crashed': (n) => `${n} models stopped unexpectedly`,
  'model-unloaded': (n) => `${n} models unloaded`,
  'vllm-release': () => 'New vLLM release',
  'webui-ready': () => 'Open WebUI is ready',
}

function label(e: NotifyEvent): string {
  return 'name' in e ? e.name : 'repo' in e ? e.repo : subject(e)
}

/** Events of one kind → one notification. */
export function compose(kind: NotifyKind, events: NotifyEvent[]): DesktopNotification {
  const [first] = events
  if (!first) throw new Error(`compose needs at least one ${kind} event; call it only for a group that has some`)
  const text = events.length === 1 ? single(first) : { title: PLURAL[kind](events.length), body: list(events.map(label)) }
  return {
    kind,
    title: oneLine(text.title, 100),
    body: oneLine(text.body),
    route: ROUTE[kind],
    urgency: CRITICAL.has(kind) ? 'critical' : 'normal',
    count: events.length,
  }
}

export class NotifyRules {
  private readonly now: () => number
  private readonly toggles: () => NotifyToggles
  private readonly coalesceMs: number
  private readonly maxPerMinute: number
  private readonly pending = new Map<NotifyKind, Pending>()
  private sent: number[] = []

  constructor(opts: NotifyRulesOptions) {
    const coalesceMs = opts.coalesceMs ?? 3000
    const maxPerMinute = opts.maxPerMinute ?? 4
    if (!(coalesceMs >= 0)) throw new Error(`coalesceMs must be 0 or more (got ${coalesceMs}); pass the wait in milliseconds`)
    if (!Number.isInteger(maxPerMinute) || maxPerMinute < 1) {
      throw new Error(`maxPerMinute must be a whole number of at least 1 (got ${maxPerMinute}); turn kinds off with the toggles instead`)
    }
    this.now = opts.now
    this.toggles = opts.toggles
    this.coalesceMs = coalesceMs
    this.maxPerMinute = maxPerMinute
  }

  /** Records an event; ignored when its kind is turned off. */
  push(event: NotifyEvent): void {
    if (!this.enabled(event.kind)) return
    const group = this.pending.get(event.kind) ?? { kind: event.kind, firstAt: this.now(), events: new Map() }
    if (event.kind === 'vllm-release') group.events.clear()
    group.events.delete(subject(event))
    group.events.set(subject(event), event)
    this.pending.set(event.kind, group)
  }

  /** The notifications to show now (critical ones first), within the rate limit. */
  take(): DesktopNotification[] {
    const now = this.now()
    this.sent = this.sent.filter((t) => now - t < MINUTE)
    const due = [...this.pending.values()]
      .filter((g) => now >= g.firstAt + this.coalesceMs)
      .sort((a, b) => Number(CRITICAL.has(b.kind)) - Number(CRITICAL.has(a.kind)) || a.firstAt - b.firstAt)
    const out: DesktopNotification[] = []
    for (const group of due) {
      if (!this.enabled(group.kind)) {
        this.pending.delete(group.kind)
        continue
      }
      if (this.sent.length >= this.maxPerMinute) break
      this.pending.delete(group.kind)
      this.sent.push(now)
      out.push(compose(group.kind, [...group.events.values()]))
    }
    return out
  }

  /** When `take()` next has something (epoch ms), null when nothing waits: the shell sets one timer for it. */
  nextAt(): number | null {
    if (this.pending.size === 0) return null
    const ready = Math.min(...[...this.pending.values()].map((g) => g.firstAt + this.coalesceMs))
    const now = this.now()
    const recent = this.sent.filter((t) => now - t < MINUTE)
    const slot = recent.length >= this.maxPerMinute ? (recent[recent.length - this.maxPerMinute] ?? now) + MINUTE : ready
    return Math.max(ready, slot)
  }

  private enabled(kind: NotifyKind): boolean {
    return this.toggles()[TOGGLE_OF[kind]] === true
  }
}
