import type { Deployment, DiagnosisKind } from '../../../shared/contract/deployments'
import type { Job } from '../../../shared/contract/jobs'
import type { WebuiStatus } from '../../../shared/contract/webui'
import type { NotifyEvent } from './notify-rules'

/**
 * Core updates → notification events (issue #17 point 3), from the previous and the new state of one thing, as
 * the event streams deliver them (jobs.watch, deployments.watch, webui status). Pure; a first snapshot (no
 * previous state) never notifies, so a restart does not repeat old news.
 */

const DOWNLOADS = new Set(['model.pull', 'model.update'])
const OOM: ReadonlySet<DiagnosisKind> = new Set(['cuda-oom', 'no-kv-cache-memory', 'kv-cache-too-small', 'gpu-memory-utilization'])
const STARTING = new Set(['creating', 'starting', 'loading'])

export function jobEvents(prev: Job | undefined, next: Job): NotifyEvent[] {
  if (!prev || prev.state === next.state || !DOWNLOADS.has(next.kind)) return []
  if (next.state === 'done') return [{ kind: 'download-finished', repo: next.target }]
  if (next.state === 'failed') {
    const why = next.error ? `${next.error.message} ${next.error.fix}` : 'The Models page says why.'
    return [{ kind: 'download-failed', repo: next.target, message: why }]
  }
  return []
}

export function deploymentEvents(prev: Deployment | undefined, next: Deployment): NotifyEvent[] {
  const before = prev?.status.state
  const after = next.status.state
  if (before === undefined || before === after) return []
  const { id: deploymentId, name } = next.definition
  const diagnosis = next.status.diagnosis
  if (after === 'ready') return [{ kind: 'model-ready', deploymentId, name }]
  if (after === 'failed' && before === 'ready') {
    return [
      { kind: 'model-crashed', deploymentId, name, oom: diagnosis !== null && OOM.has(diagnosis.kind), reason: diagnosis?.reason ?? null },
    ]
  }
  if (after === 'failed' && STARTING.has(before)) {
    return [{ kind: 'model-failed', deploymentId, name, diagnosis: diagnosis ? `${diagnosis.reason} ${diagnosis.hint}`.trim() : null }]
  }
  if (after === 'stopped' && (before === 'ready' || before === 'stopping')) {
    return [{ kind: 'model-unloaded', deploymentId, name, reason: 'stopped', detail: null }]
  }
  return []
}

export function webuiEvents(prev: Pick<WebuiStatus, 'state'> | undefined, next: Pick<WebuiStatus, 'state' | 'url'>): NotifyEvent[] {
  if (!prev || prev.state === 'healthy' || next.state !== 'healthy' || !next.url) return []
  return [{ kind: 'webui-ready', url: next.url }]
}
