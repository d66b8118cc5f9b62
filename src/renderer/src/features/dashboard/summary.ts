/**
 * What the Dashboard's top cards say (GPUs, models, what is serving, disk), the setup steps it shows, where a
 * GPU fault is shown (once), and how Recent activity tells time. Pure: the page only renders these.
 */
import type { Deployment } from '@shared/contract/deployments'
import type { GpusSnapshot } from '@shared/contract/gpu'
import type { DoctorCheck, DoctorReport } from '@shared/contract/host'
import type { Job } from '@shared/contract/jobs'
import type { LocalModel, StorageLocationInfo } from '@shared/contract/models'
import type { WebuiStatus } from '@shared/contract/webui'
import { formatBytes } from '@shared/format'

export interface Summary {
  value: string
  hint: string
}

/** The GPU card never repeats nvidia-smi's error: that is shown once, below (see gpuFaultPlacement). */
export function gpuSummary(s: GpusSnapshot | null): Summary {
  if (!s || s.status === 'starting') return { value: '—', hint: 'waiting for nvidia-smi' }
  if (s.status === 'fault') return { value: '—', hint: 'no GPU telemetry' }
  const names = [...new Set(s.gpus.map((g) => g.name))].join(', ')
  return { value: String(s.gpus.length), hint: s.status === 'degraded' ? `${names} · one is lost` : names }
}

export function modelSummary(models: LocalModel[] | null): Summary {
  if (!models) return { value: '—', hint: 'loading' }
  if (!models.length) return { value: '0', hint: 'none yet: pull one on the Models page' }
  return { value: String(models.length), hint: `${formatBytes(models.reduce((n, m) => n + m.sizeOnDisk, 0))} on disk` }
}

export interface ServingItem {
  name: string
  /** Where to reach it: the OpenAI base URL of a deployment, Open WebUI's page. */
  url: string
  kind: 'deployment' | 'webui'
}

export interface ServingSummary extends Summary {
  items: ServingItem[]
}

/**
 * What answers requests now: ready deployments with their endpoints, and Open WebUI when it runs.
 * `endpoint` and `webuiUrl` turn the server's addresses into the ones this browser can open.
 */
export function servingSummary(o: {
  deployments: Deployment[] | null
  webui: WebuiStatus | undefined
  endpoint: (d: Deployment) => string | null
  webuiUrl: (url: string | null) => string | null
}): ServingSummary {
  if (!o.deployments) return { value: '—', hint: 'loading', items: [] }
  const ready = o.deployments.filter((d) => d.status.state === 'ready')
  const items: ServingItem[] = ready.map((d) => ({ name: d.definition.name, url: o.endpoint(d) ?? '', kind: 'deployment' }))
  const webui = o.webui?.state === 'healthy' ? o.webuiUrl(o.webui.url) : null
  if (webui) items.push({ name: 'Open WebUI', url: webui, kind: 'webui' })
  const starting = o.deployments.filter((d) => ['creating', 'starting', 'loading'].includes(d.status.state)).length
  const failed = o.deployments.filter((d) => d.status.state === 'failed').length
  const extra = [starting ? `${starting} starting` : '', failed ? `${failed} failed` : ''].filter(Boolean).join(' · ')
  const hint = o.deployments.length
    ? `${ready.length} of ${o.deployments.length} deployment${o.deployments.length === 1 ? '' : 's'} ready${extra ? ` · ${extra}` : ''}`
    : 'no deployments yet'
  return { value: String(ready.length), hint, items }
}

/** Free space where new models go (the default store location), and what models take there. */
export function diskSummary(storage: StorageLocationInfo[] | null): Summary {
  if (!storage) return { value: '—', hint: 'loading' }
  const store = storage.find((s) => s.isDefault) ?? storage[0]
  if (!store) return { value: '—', hint: 'no model store configured' }
  if (store.error || !store.totalBytes) return { value: '—', hint: store.error ?? `${store.path} not measured` }
  return {
    value: `${formatBytes(store.freeBytes)} free`,
    hint: `of ${formatBytes(store.totalBytes)} · models ${formatBytes(store.usedByModels)}`,
  }
}

/** The setup steps (failing and warning checks) on first start while a check fails, until dismissed. */
export function setupSteps(report: DoctorReport | null, dismissed: boolean): DoctorCheck[] {
  if (dismissed || report?.status !== 'fail') return []
  return report.checks.filter((c) => c.status !== 'ok')
}

/**
 * Where the Dashboard shows a GPU fault, so nvidia-smi's error appears once: in the setup steps when they list
 * the driver check (it carries the same message and fix), else in the GPU section; null without a fault.
 */
export function gpuFaultPlacement(snapshot: GpusSnapshot | null, steps: DoctorCheck[]): 'setup' | 'gpus' | null {
  if (!snapshot?.fault) return null
  return steps.some((c) => c.id === 'driver' && c.status === 'fail') ? 'setup' : 'gpus'
}

/** The moment a job's line tells: when it ended, else when it started, else when it was queued. */
export function jobMoment(j: Job): { at: string; verb: string } {
  if (j.endedAt) return { at: j.endedAt, verb: j.state === 'done' ? 'finished' : j.state }
  if (j.startedAt) return { at: j.startedAt, verb: 'started' }
  return { at: j.createdAt, verb: 'queued' }
}

/** "just now", "4 min ago", "2 h ago", then the date and time ("Mar 3, 14:05"). */
export function relativeTime(iso: string, now: number): string {
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return iso
  const s = Math.max(0, Math.round((now - t) / 1000))
  if (s < 45) return 'just now'
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`
  return new Date(t).toLocaleString('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false })
}
