import { describe, expect, it } from 'vitest'
import type { GpusSnapshot } from '@shared/contract/gpu'
import type { DoctorReport } from '@shared/contract/host'
import type { Job } from '@shared/contract/jobs'
import type { StorageLocationInfo } from '@shared/contract/models'
import type { WebuiStatus } from '@shared/contract/webui'
import { deployment } from '@/lib/fixtures.test-support'
import { diskSummary, gpuFaultPlacement, gpuSummary, jobMoment, relativeTime, servingSummary, setupSteps } from './summary'

const GiB = 1024 ** 3
const fault = {
  kind: 'nvidia-smi-missing' as const,
  message: 'nvidia-smi: command not found',
  fix: 'Install the NVIDIA driver',
  exitCode: null,
  since: '2025-01-01T00:00:00Z',
  attempts: 3,
  retryAt: null,
}
const faulted: GpusSnapshot = { status: 'fault', at: null, intervalMs: 1000, fault, gpus: [] }
const report = (checks: DoctorReport['checks']): DoctorReport => ({
  at: '2025-01-01T00:00:00Z',
  status: checks.some((c) => c.status === 'fail') ? 'fail' : 'ok',
  checks,
})
const driverFails = { id: 'driver', title: 'NVIDIA driver and GPUs', status: 'fail' as const, detail: fault.message, fix: fault.fix }
const dockerFails = { id: 'docker', title: 'Docker', status: 'fail' as const, detail: 'no socket', fix: 'Start Docker' }
const dockerOk = { ...dockerFails, status: 'ok' as const, fix: null }

describe('Dashboard: nvidia-smi’s error appears once on a bare host', () => {
  it('the GPU card never repeats the message', () => {
    expect(gpuSummary(faulted)).toEqual({ value: '—', hint: 'no GPU telemetry' })
    expect(JSON.stringify(gpuSummary(faulted))).not.toContain(fault.message)
  })

  it('shown in the setup steps when they list the driver check, else with the GPUs', () => {
    const steps = setupSteps(report([driverFails, dockerOk]), false)
    expect(steps.map((s) => s.id)).toEqual(['driver'])
    expect(gpuFaultPlacement(faulted, steps)).toBe('setup')
    expect(gpuFaultPlacement(faulted, setupSteps(report([driverFails]), true))).toBe('gpus') // steps dismissed
    expect(gpuFaultPlacement(faulted, setupSteps(report([dockerFails]), false))).toBe('gpus') // fault after the report
    expect(gpuFaultPlacement({ ...faulted, status: 'ok', fault: null }, steps)).toBeNull()
  })

  it('setup steps: only while a check fails and until dismissed; warnings come along, passes do not', () => {
    const warn = { ...dockerOk, id: 'hf-token', status: 'warn' as const, fix: 'Add a token' }
    expect(setupSteps(report([dockerFails, warn, dockerOk]), false).map((c) => c.id)).toEqual(['docker', 'hf-token'])
    expect(setupSteps(report([warn, dockerOk]), false)).toEqual([])
    expect(setupSteps(null, false)).toEqual([])
  })
})

describe('Dashboard: what is serving, with endpoints', () => {
  const webui = { state: 'healthy', url: 'http://127.0.0.1:3000/' } as WebuiStatus
  const sameUrl = (u: string | null): string | null => u
  const endpoint = (d: ReturnType<typeof deployment>): string | null => d.status.endpoint

  it('lists ready deployments with their endpoints and Open WebUI when it runs', () => {
    const s = servingSummary({
      deployments: [
        deployment({ name: 'chat', state: 'ready', endpoint: 'http://127.0.0.1:8001/v1' }),
        deployment({ name: 'embed', state: 'loading' }),
        deployment({ name: 'old', state: 'failed' }),
        deployment({ name: 'idle' }),
      ],
      webui,
      endpoint,
      webuiUrl: sameUrl,
    })
    expect(s.value).toBe('1')
    expect(s.hint).toBe('1 of 4 deployments ready · 1 starting · 1 failed')
    expect(s.items).toEqual([
      { name: 'chat', url: 'http://127.0.0.1:8001/v1', kind: 'deployment' },
      { name: 'Open WebUI', url: 'http://127.0.0.1:3000/', kind: 'webui' },
    ])
  })

  it('says when nothing is deployed, and leaves out a stopped Open WebUI', () => {
    const s = servingSummary({ deployments: [], webui: { ...webui, state: 'stopped' }, endpoint, webuiUrl: sameUrl })
    expect(s).toEqual({ value: '0', hint: 'no deployments yet', items: [] })
    expect(servingSummary({ deployments: null, webui, endpoint, webuiUrl: sameUrl }).hint).toBe('loading')
  })
})

describe('Dashboard: disk', () => {
  const store = (o: Partial<StorageLocationInfo>): StorageLocationInfo => ({
    path: '/data/hf',
    label: '',
    isDefault: false,
    exists: true,
    totalBytes: 1000 * GiB,
    freeBytes: 250 * GiB,
    usedByModels: 40 * GiB,
    models: 3,
    ...o,
  })

  it('free space where new models go (the default store), with what models take', () => {
    const d = diskSummary([store({ path: '/other', freeBytes: 1 }), store({ isDefault: true, label: 'Fast NVMe' })])
    expect(d).toEqual({ value: '250 GiB free', hint: 'of 1000 GiB · models 40.0 GiB' })
  })

  it('names a store that cannot be measured', () => {
    expect(diskSummary([store({ isDefault: true, error: 'permission denied', totalBytes: 0 })]).hint).toBe('permission denied')
    expect(diskSummary([]).hint).toBe('no model store configured')
  })
})

describe('Dashboard: recent activity tells time', () => {
  const now = Date.parse('2025-03-03T14:05:00Z')
  it('relative for today, a date after a day', () => {
    expect(relativeTime('2025-03-03T14:04:40Z', now)).toBe('just now')
    expect(relativeTime('2025-03-03T14:01:00Z', now)).toBe('4 min ago')
    expect(relativeTime('2025-03-03T12:05:00Z', now)).toBe('2 h ago')
    expect(relativeTime('2025-03-01T12:05:00Z', now)).toMatch(/^Mar 1, \d\d:05$/)
  })

  it('a job is dated by when it ended, started or was queued', () => {
    const job = { state: 'done', createdAt: 'a', startedAt: 'b', endedAt: 'c' } as Job
    expect(jobMoment(job)).toEqual({ at: 'c', verb: 'finished' })
    expect(jobMoment({ ...job, state: 'failed' })).toEqual({ at: 'c', verb: 'failed' })
    expect(jobMoment({ ...job, state: 'running', endedAt: undefined })).toEqual({ at: 'b', verb: 'started' })
    expect(jobMoment({ ...job, state: 'queued', endedAt: undefined, startedAt: undefined })).toEqual({ at: 'a', verb: 'queued' })
  })
})
