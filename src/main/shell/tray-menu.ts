import type { Deployment, DeploymentState } from '../../shared/contract/deployments'
import type { GatewayStatus } from '../../shared/contract/gateway'
import type { GpusSnapshot, GpuState } from '../../shared/contract/gpu'
import type { Job } from '../../shared/contract/jobs'
import type { WebuiStatus } from '../../shared/contract/webui'

/**
 * The tray menu as a pure function of core state (issue #17). The shell turns `items` into an Electron template
 * (`Menu.buildFromTemplate`, then `tray.setContextMenu` again: Linux sees no change to a menu already set) and
 * dispatches each item's `action` to a fixed internal call. Linux exports no tooltips on GNOME and no sublabels,
 * so the summary is also the first (disabled) row.
 */

/** What the tray needs from core; null = not known yet (the service has not answered). */
export interface TrayInput {
  gpus: GpusSnapshot | null
  deployments: Deployment[] | null
  gateway: GatewayStatus | null
  webui: Pick<WebuiStatus, 'state' | 'url' | 'job'> | null
  jobs: Job[]
  /** Set when Docker does not answer (the message says why). */
  dockerError: string | null
}

export type TrayIconState = 'idle' | 'serving' | 'loading' | 'problem'

export type TrayAction =
  | { type: 'gateway.load'; name: string }
  | { type: 'gateway.unload'; name: string }
  | { type: 'deployment.start'; id: string }
  | { type: 'deployment.stop'; id: string }
  | { type: 'webui.open'; url: string }
  | { type: 'webui.deploy' }
  | { type: 'gateway.copy-url'; url: string }
  | { type: 'window.open'; route: string }
  | { type: 'downloads.pause'; jobIds: string[] }
  | { type: 'downloads.resume'; jobIds: string[] }
  | { type: 'quit' }

export interface TrayMenuItem {
  /** Stable id (Electron MenuItem id) for the shell and for tests. */
  id: string
  label: string
  enabled: boolean
  action?: TrayAction
  submenu?: TrayMenuItem[]
}

export type TrayMenuEntry = TrayMenuItem | { id: string; type: 'separator' }

export interface TrayView {
  icon: TrayIconState
  /** One line: what the tray shows on hover (where the host shows tooltips) and as the first row. */
  tooltip: string
  items: TrayMenuEntry[]
}

const MAX_LABEL = 60
const DOWNLOAD_KINDS = new Set(['model.pull', 'model.update'])
const LOADING_DEPLOYMENT: ReadonlySet<DeploymentState> = new Set(['creating', 'starting', 'loading'])
const WEBUI_RUNNING = new Set(['starting', 'healthy', 'unhealthy'])
const WEBUI_BUSY = new Set(['creating', 'stopping'])

/** A dynamic label as dbusmenu shows it: one line, capped, `&` doubled (a single `&` would become a mnemonic). */
export function menuLabel(text: string): string {
  const line = text.replace(/[\r\n\t]+/g, ' ').trim()
  const capped = line.length > MAX_LABEL ? `${line.slice(0, MAX_LABEL - 1)}…` : line
  return capped.replace(/&/g, '&&')
}

/** 24564 MiB → "24", 12390 MiB → "12.1" (GiB, one decimal, no trailing .0). */
export function gib(mib: number): string {
  const v = (mib / 1024).toFixed(1)
  return v.endsWith('.0') ? v.slice(0, -2) : v
}

/** "NVIDIA GeForce RTX 4090" → "RTX 4090"; "NVIDIA H100 80GB HBM3" → "H100 80GB HBM3". */
export function shortGpuName(name: string): string {
  const short = name.replace(/^NVIDIA\s+/i, '').replace(/^GeForce\s+/i, '')
  return short || name
}

/** "GPU 0 · RTX 4090 · 12.1 / 24 GiB · 45 %"; parts the driver does not report are left out. */
export function gpuLine(gpu: GpuState): string {
  const parts = [`GPU ${gpu.index}`, shortGpuName(gpu.name)]
  if (gpu.memoryUsedMiB !== null && gpu.memoryTotalMiB !== null) parts.push(`${gib(gpu.memoryUsedMiB)} / ${gib(gpu.memoryTotalMiB)} GiB`)
  if (gpu.utilizationPct !== null) parts.push(`${Math.round(gpu.utilizationPct)} %`)
  return parts.join(' · ')
}

interface ModelRow {
  id: string
  name: string
  state: string
  phase: 'serving' | 'loading' | 'problem' | 'idle'
  action: TrayMenuItem | null
}

function gatewayRow(m: GatewayStatus['models'][number]): ModelRow {
  const base = { id: m.id, name: m.name }
  switch (m.state) {
    case 'loaded':
      return {
        ...base,
        state: 'loaded',
        phase: 'serving',
        action: item(`unload:${m.id}`, 'Unload', { type: 'gateway.unload', name: m.name }),
      }
    case 'loading': {
      const pct = m.progress === null ? '' : ` ${Math.round(m.progress * 100)} %`
      return {
        ...base,
        state: `loading${pct}`,
        phase: 'loading',
        action: item(`unload:${m.id}`, 'Cancel loading', { type: 'gateway.unload', name: m.name }),
      }
    }
    case 'sleeping':
      return {
        ...base,
        state: 'sleeping',
        phase: 'idle',
        action: item(`unload:${m.id}`, 'Unload', { type: 'gateway.unload', name: m.name }),
      }
    case 'failed':
      return {
        ...base,
        state: 'failed',
        phase: 'problem',
        action: item(`load:${m.id}`, 'Load again', { type: 'gateway.load', name: m.name }),
      }
    case 'cold':
      return { ...base, state: 'not loaded', phase: 'idle', action: item(`load:${m.id}`, 'Load', { type: 'gateway.load', name: m.name }) }
  }
}

function deploymentRow(d: Deployment): ModelRow {
  const { id, name } = d.definition
  const s = d.status.state
  const stop = item(`stop:${id}`, 'Stop', { type: 'deployment.stop', id })
  const start = item(`start:${id}`, 'Start', { type: 'deployment.start', id })
  if (s === 'ready') return { id, name, state: 'running', phase: 'serving', action: stop }
  if (LOADING_DEPLOYMENT.has(s)) return { id, name, state: s, phase: 'loading', action: stop }
  if (s === 'stopping') return { id, name, state: 'stopping', phase: 'loading', action: null }
  if (s === 'failed') {
    const why = d.status.diagnosis?.reason
    return { id, name, state: why ? `failed: ${why}` : 'failed', phase: 'problem', action: { ...start, label: 'Start again' } }
  }
  return { id, name, state: 'stopped', phase: 'idle', action: start }
}

/**
 * The models the tray lists: those the gateway routes (load/unload through it) and, for deployments it does not
 * route (serve off, or no gateway running), start/stop. Without deployments (Docker down) the gateway's list alone.
 */
export function modelRows(input: Pick<TrayInput, 'deployments' | 'gateway'>): ModelRow[] {
  const routed = new Map((input.gateway?.running ? input.gateway.models : []).filter((m) => m.serve !== 'off').map((m) => [m.id, m]))
  if (input.deployments === null) return [...routed.values()].map(gatewayRow)
  return input.deployments.map((d) => {
    const m = routed.get(d.definition.id)
    return m ? gatewayRow(m) : deploymentRow(d)
  })
}

function item(id: string, label: string, action?: TrayAction, enabled = true): TrayMenuItem {
  return action ? { id, label, enabled, action } : { id, label, enabled }
}

function status(id: string, label: string): TrayMenuItem {
  return { id, label: menuLabel(label), enabled: false }
}

function gpuRows(gpus: GpusSnapshot | null): TrayMenuItem[] {
  if (gpus === null || gpus.status === 'starting') return [status('gpu:none', 'GPUs: waiting for the first sample')]
  const rows = gpus.gpus.map((g) => status(`gpu:${g.index}`, gpuLine(g)))
  if (gpus.fault)
    rows.push(status('gpu:fault', gpus.fault.kind === 'no-gpu' ? 'No NVIDIA GPU found' : `GPU problem: ${gpus.fault.message}`))
  return rows
}

function webuiRow(webui: TrayInput['webui'], dockerError: string | null): TrayMenuItem {
  if (webui === null) return status('webui', 'Open WebUI: checking…')
  if (webui.state === 'docker-unreachable' || (dockerError !== null && webui.state !== 'healthy')) {
    return status('webui', 'Open WebUI: Docker is not reachable')
  }
  if (WEBUI_RUNNING.has(webui.state) && webui.url) {
    return item('webui', 'Open WebUI in browser', { type: 'webui.open', url: webui.url })
  }
  if (WEBUI_BUSY.has(webui.state) || webui.job?.state === 'running' || webui.job?.state === 'queued') {
    return status('webui', `Open WebUI: ${webui.state === 'stopping' ? 'stopping' : 'deploying'}…`)
  }
  return item('webui', 'Deploy Open WebUI', { type: 'webui.deploy' })
}

function downloadsRow(jobs: Job[]): TrayMenuItem {
  const downloads = jobs.filter((j) => DOWNLOAD_KINDS.has(j.kind))
  const active = downloads.filter((j) => (j.state === 'running' || j.state === 'queued') && j.canPause).map((j) => j.id)
  const paused = downloads.filter((j) => j.state === 'paused').map((j) => j.id)
  if (active.length > 0) return item('downloads', `Pause all downloads (${active.length})`, { type: 'downloads.pause', jobIds: active })
  if (paused.length > 0) return item('downloads', `Resume downloads (${paused.length})`, { type: 'downloads.resume', jobIds: paused })
  return item('downloads', 'Pause all downloads', undefined, false)
}

function iconState(input: TrayInput, rows: ModelRow[]): TrayIconState {
  const gpuProblem =
    input.gpus !== null && (input.gpus.status === 'fault' || input.gpus.status === 'degraded') && input.gpus.fault?.kind !== 'no-gpu'
  if (input.dockerError !== null || gpuProblem || input.gateway?.error || rows.some((r) => r.phase === 'problem')) return 'problem'
  if (rows.some((r) => r.phase === 'loading')) return 'loading'
  if (rows.some((r) => r.phase === 'serving')) return 'serving'
  return 'idle'
}

function summary(input: TrayInput, icon: TrayIconState, rows: ModelRow[]): string {
  const serving = rows.filter((r) => r.phase === 'serving').length
  const loading = rows.filter((r) => r.phase === 'loading').length
  const parts: string[] = []
  if (input.dockerError !== null) parts.push('Docker is not reachable')
  else if (input.gateway?.error) parts.push(`Gateway: ${input.gateway.error.message}`)
  else if (icon === 'problem' && rows.some((r) => r.phase === 'problem'))
    parts.push(`${rows.filter((r) => r.phase === 'problem').length} failed`)
  else if (input.gpus?.fault && input.gpus.fault.kind !== 'no-gpu') parts.push(`GPU problem: ${input.gpus.fault.kind}`)
  if (serving > 0) parts.push(`serving ${serving} model${serving === 1 ? '' : 's'}`)
  if (loading > 0) parts.push(`loading ${loading}`)
  if (parts.length === 0) parts.push('idle')
  const gpus = input.gpus?.gpus ?? []
  const used = gpus.reduce((a, g) => a + (g.memoryUsedMiB ?? 0), 0)
  const total = gpus.reduce((a, g) => a + (g.memoryTotalMiB ?? 0), 0)
  if (total > 0) parts.push(`VRAM ${gib(used)} / ${gib(total)} GiB`)
  return `InferAdmin: ${parts.join(' · ')}`
}

/** Core state in → icon state, tooltip and menu out. */
export function buildTrayView(input: TrayInput): TrayView {
  let separators = 0
  const separator = (): TrayMenuEntry => ({ id: `sep:${++separators}`, type: 'separator' })
  const rows = modelRows(input)
  const icon = iconState(input, rows)
  const tooltip = summary(input, icon, rows)
  const models: TrayMenuItem[] =
    input.dockerError !== null && rows.length === 0
      ? [status('models:none', 'Models: Docker is not reachable')]
      : rows.length === 0
        ? [status('models:none', 'No models deployed')]
        : rows.map((r) => ({
            id: `model:${r.id}`,
            label: menuLabel(`${r.name} · ${r.state}`),
            enabled: true,
            submenu: [
              r.action ?? status(`busy:${r.id}`, r.state),
              item(`show:${r.id}`, 'Show in InferAdmin', { type: 'window.open', route: '/deployments' }),
            ],
          }))
  const url = input.gateway?.running ? input.gateway.url : null
  return {
    icon,
    tooltip: tooltip.replace(/[\r\n]+/g, ' '),
    items: [
      status('summary', tooltip),
      separator(),
      ...gpuRows(input.gpus),
      separator(),
      ...models,
      separator(),
      webuiRow(input.webui, input.dockerError),
      url
        ? item('gateway-url', 'Copy gateway URL', { type: 'gateway.copy-url', url })
        : item('gateway-url', 'Copy gateway URL', undefined, false),
      downloadsRow(input.jobs),
      separator(),
      item('open', 'Open InferAdmin', { type: 'window.open', route: '/' }),
      item('quit', 'Quit InferAdmin', { type: 'quit' }),
    ],
  }
}

/** Electron's template shape (structurally; no import of electron here), clicks dispatched to `run`. */
export interface TemplateItem {
  id: string
  label?: string
  type?: 'separator' | 'normal' | 'submenu'
  enabled?: boolean
  click?: () => void
  submenu?: TemplateItem[]
}

export function toTemplate(entries: TrayMenuEntry[], run: (action: TrayAction) => void): TemplateItem[] {
  return entries.map((e): TemplateItem => {
    if ('type' in e) return { id: e.id, type: 'separator' }
    const out: TemplateItem = { id: e.id, label: e.label, enabled: e.enabled }
    const action = e.action
    if (action) out.click = () => run(action)
    if (e.submenu) out.submenu = toTemplate(e.submenu, run)
    return out
  })
}
