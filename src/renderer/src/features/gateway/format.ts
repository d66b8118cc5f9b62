import type { GatewayLogEntry, GatewayStatus } from '@shared/contract/gateway'

type Model = GatewayStatus['models'][number]
type ModelState = Model['state']
type Variant = 'success' | 'destructive' | 'warning' | 'secondary' | 'outline'

export const MODEL_STATE_LABEL: Record<ModelState, string> = {
  loaded: 'Loaded',
  loading: 'Loading',
  sleeping: 'Sleeping',
  cold: 'Cold',
  failed: 'Failed',
}

export function modelStateVariant(s: ModelState): Variant {
  if (s === 'loaded') return 'success'
  if (s === 'failed') return 'destructive'
  if (s === 'loading') return 'warning'
  if (s === 'sleeping') return 'secondary'
  return 'outline'
}

const PHASES: Record<string, string> = {
  weights: 'loading weights',
  'kv-cache': 'sizing the KV cache',
  'graph-capture': 'capturing CUDA graphs',
  'server-start': 'starting the server',
}

/** A duration in words for people: "45 s", "4 min 20 s", "2 h 5 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`
  const m = Math.round(s / 60)
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`
}

/** What a loading model is doing: "loading weights · 42% · about 1 min 5 s left". */
export function loadingNote(m: Pick<Model, 'phase' | 'progress' | 'etaSeconds'>): string {
  const parts = [m.phase ? (PHASES[m.phase] ?? m.phase) : 'starting']
  if (m.progress !== null) parts.push(`${Math.round(Math.max(0, Math.min(1, m.progress)) * 100)}%`)
  if (m.etaSeconds !== null) parts.push(`about ${formatDuration(m.etaSeconds)} left`)
  return parts.join(' · ')
}

/** When the model unloads if no request comes: "in 4 min 20 s", "any moment", or why it does not. */
export function formatDeadline(unloadAt: string | null, now: number, m: Pick<Model, 'serve' | 'state' | 'inFlight' | 'held'>): string {
  if (m.serve === 'always-on') return 'never (always on)'
  if (unloadAt === null) {
    if (m.state !== 'loaded') return '—'
    return m.inFlight + m.held > 0 ? 'not while requests run' : 'never (idle unload off)'
  }
  const t = Date.parse(unloadAt)
  if (Number.isNaN(t)) return '—'
  const left = (t - now) / 1000
  return left < 1 ? 'any moment' : `in ${formatDuration(left)}`
}

/** How long ago: "just now", "12 s ago", "3 min ago", "2 h ago", or "never". */
export function formatAgo(iso: string | null, now: number): string {
  if (iso === null) return 'never'
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return '—'
  const s = Math.max(0, (now - t) / 1000)
  if (s < 2) return 'just now'
  if (s < 60) return `${Math.floor(s)} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86_400)} d ago`
}

/** A latency for the log: "85 ms", "1.2 s", "4 min 3 s"; "—" when there is none. */
export function formatLatency(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return formatDuration(ms / 1000)
}

export function statusVariant(status: number): Variant {
  if (status < 400) return 'success'
  if (status === 429 || status === 499) return 'warning'
  return 'destructive'
}

/** Who sent it: the key's name, or "this machine" for a request from loopback without a key. */
export function requester(e: Pick<GatewayLogEntry, 'key'>): string {
  return e.key ?? 'this machine (no key)'
}

/** "12 / 340" tokens in / out; "—" for what the answer did not show. */
export function formatTokens(e: Pick<GatewayLogEntry, 'tokensIn' | 'tokensOut'>): string {
  if (e.tokensIn === null && e.tokensOut === null) return '—'
  return `${e.tokensIn ?? '—'} / ${e.tokensOut ?? '—'}`
}

/** "Cold start (held 42 s)", "—". */
export function coldStartNote(e: Pick<GatewayLogEntry, 'coldStart' | 'heldMs'>): string {
  if (!e.coldStart) return 'no'
  return e.heldMs === null ? 'yes' : `yes (held ${formatLatency(e.heldMs)})`
}

/** A requests-per-minute limit for the keys table. */
export function formatLimit(rpm: number | null): string {
  return rpm === null ? 'no limit' : `${rpm} / min`
}

/**
 * The base URL as this browser should show it: the gateway's own URL, except that a wildcard bind (reported as
 * 127.0.0.1) is reached through the host this page came from when the page was opened from another machine.
 */
export function browserUrl(g: { url: string | null; host: string }, page: { protocol: string; hostname: string } | null): string | null {
  if (!g.url) return null
  if (g.host !== '0.0.0.0' && g.host !== '::') return g.url
  if (!page || !/^https?:$/.test(page.protocol) || !page.hostname) return g.url
  if (['localhost', '127.0.0.1', '[::1]'].includes(page.hostname)) return g.url
  const u = new URL(g.url)
  u.hostname = page.hostname
  return u.toString().replace(/\/$/, '')
}
