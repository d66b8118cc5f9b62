import type { Deployment, DeploymentState, LoadPhase } from '@shared/contract/deployments'

export const STATE_LABEL: Record<DeploymentState, string> = {
  stopped: 'Stopped',
  creating: 'Creating',
  starting: 'Starting',
  loading: 'Loading',
  ready: 'Ready',
  stopping: 'Stopping',
  failed: 'Failed',
}

export const PHASE_LABEL: Record<LoadPhase, string> = {
  weights: 'Loading weights',
  'kv-cache': 'Sizing the KV cache',
  'graph-capture': 'Capturing CUDA graphs',
  'server-start': 'Starting the server',
}

export function stateVariant(s: DeploymentState): 'success' | 'destructive' | 'warning' | 'secondary' | 'outline' {
  if (s === 'ready') return 'success'
  if (s === 'failed') return 'destructive'
  if (s === 'stopped') return 'outline'
  return 'warning'
}

/**
 * The endpoint as this browser reaches it: the local one when the page is on the same machine; from another machine
 * the network address matching the page's host (or the first), and the local one when it is published on loopback
 * only (reachNote then says so).
 */
export function publicEndpoint(d: Deployment): string | null {
  const e = d.status.endpoint
  if (!e) return null
  const remote = typeof location !== 'undefined' && /^https?:$/.test(location.protocol)
  if (!remote || ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname)) return e
  const urls = d.status.networkUrls
  return urls.find((u) => new URL(u).hostname === location.hostname) ?? urls[0] ?? e
}

/** Plainly: who can reach the endpoint — this machine only, or the network (and at which addresses). */
export function reachNote(d: Deployment): string | null {
  const st = d.status
  if (!st.endpoint) return null
  if (!st.networkUrls.length) return `Only from this machine (published on ${st.listen ?? '127.0.0.1'}).`
  return `Reachable from your network (published on ${st.listen}): ${st.networkUrls.join(', ')}`
}

export function servedModel(d: Deployment): string {
  const v = d.definition.args['--served-model-name']
  return (Array.isArray(v) ? v[0] : typeof v === 'string' ? v.split(/\s+/)[0] : undefined) ?? d.definition.model.repo
}

export function curlExample(d: Deployment): string {
  const url = publicEndpoint(d) ?? 'http://HOST:PORT/v1'
  const body = JSON.stringify({ model: servedModel(d), messages: [{ role: 'user', content: 'Hello!' }], stream: true })
  return `curl ${url}/chat/completions -H 'Content-Type: application/json' -d '${body}'`
}

export function formatSeconds(s: number | null): string {
  if (s === null) return ''
  if (s < 60) return `${Math.max(0, Math.round(s))} s`
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
}

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GiB`

/**
 * The memory a deployment needs, for its card (issue #16): "needs 9.8 GiB + KV · learned from 3 loads", or
 * "· estimated" before a load finished; the telemetry's measurement and memory failures when there are any; null
 * when nothing is known.
 */
export function footprintText(d: Deployment): string | null {
  const f = d.footprint
  if (!f) return null
  const from = f.source === 'learned' ? `learned from ${f.loads} load${f.loads === 1 ? '' : 's'}` : 'estimated'
  const parts = [`needs ${gib(f.needsBytesPerGpu)} + KV per GPU`, from]
  if (f.measuredBytesPerGpu !== null) parts.push(`${gib(f.measuredBytesPerGpu)} measured`)
  if (f.failures > 0) parts.push(`raised after ${f.failures} memory failure${f.failures === 1 ? '' : 's'}`)
  return parts.join(' · ')
}
