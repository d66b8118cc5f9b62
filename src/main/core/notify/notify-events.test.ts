import { describe, expect, it } from 'vitest'
import type { Deployment, DeploymentState, Diagnosis } from '../../../shared/contract/deployments'
import type { Job } from '../../../shared/contract/jobs'
import { deploymentEvents, jobEvents, webuiEvents } from './notify-events'

function job(state: Job['state'], kind: Job['kind'] = 'model.pull', error?: Job['error']): Job {
  return {
    id: 'j1',
    kind,
    title: 'Download',
    target: 'Qwen/Qwen3-8B',
    state,
    progress: { bytesDone: 0, bytesTotal: 1, rate: 0, etaSeconds: null },
    canPause: true,
    createdAt: '2026-12-05T08:00:00Z',
    ...(error ? { error } : {}),
  }
}

function dep(state: DeploymentState, diagnosis: Partial<Diagnosis> | null = null): Deployment {
  return {
    definition: { id: 'd1', name: 'Qwen3-8B' } as Deployment['definition'],
    status: { state, diagnosis } as Deployment['status'],
  }
}

describe('notification events from core updates', () => {
  it('a download that finishes or fails, not one that pauses, and not an engine pull', () => {
    expect(jobEvents(job('running'), job('done'))).toEqual([{ kind: 'download-finished', repo: 'Qwen/Qwen3-8B' }])
    expect(jobEvents(job('running'), job('failed', 'model.pull', { message: 'Disk full.', fix: 'Free 12 GB.' }))).toEqual([
      { kind: 'download-failed', repo: 'Qwen/Qwen3-8B', message: 'Disk full. Free 12 GB.' },
    ])
    expect(jobEvents(job('running'), job('paused'))).toEqual([])
    expect(jobEvents(job('running', 'engine.pull'), job('done', 'engine.pull'))).toEqual([])
  })

  it('nothing from the first snapshot or a repeat of the same state (a restart does not repeat old news)', () => {
    expect(jobEvents(undefined, job('done'))).toEqual([])
    expect(jobEvents(job('done'), job('done'))).toEqual([])
    expect(deploymentEvents(undefined, dep('ready'))).toEqual([])
  })

  it('a model becoming ready, or failing to start with its diagnosis and hint', () => {
    expect(deploymentEvents(dep('loading'), dep('ready'))).toEqual([{ kind: 'model-ready', deploymentId: 'd1', name: 'Qwen3-8B' }])
    const diagnosis = { kind: 'gated-model', reason: 'The model is gated.', hint: 'Accept its licence on huggingface.co.' } as const
    expect(deploymentEvents(dep('starting'), dep('failed', diagnosis))).toEqual([
      {
        kind: 'model-failed',
        deploymentId: 'd1',
        name: 'Qwen3-8B',
        diagnosis: 'The model is gated. Accept its licence on huggingface.co.',
      },
    ])
  })

  it('a running model that fails: out of memory when the diagnosis says so, a crash otherwise', () => {
    expect(deploymentEvents(dep('ready'), dep('failed', { kind: 'cuda-oom', reason: 'CUDA out of memory.' }))).toMatchObject([
      { kind: 'model-crashed', oom: true, reason: 'CUDA out of memory.' },
    ])
    expect(deploymentEvents(dep('ready'), dep('failed', { kind: 'exited', reason: 'Exited with code 139.' }))).toMatchObject([
      { kind: 'model-crashed', oom: false },
    ])
  })

  it('a model unloaded once, when it has stopped', () => {
    expect(deploymentEvents(dep('ready'), dep('stopping'))).toEqual([])
    expect(deploymentEvents(dep('stopping'), dep('stopped'))).toMatchObject([{ kind: 'model-unloaded', reason: 'stopped' }])
  })

  it('Open WebUI ready when it turns healthy, not while it stays so', () => {
    expect(webuiEvents({ state: 'starting' }, { state: 'healthy', url: 'http://127.0.0.1:3000' })).toEqual([
      { kind: 'webui-ready', url: 'http://127.0.0.1:3000' },
    ])
    expect(webuiEvents({ state: 'healthy' }, { state: 'healthy', url: 'http://127.0.0.1:3000' })).toEqual([])
    expect(webuiEvents(undefined, { state: 'healthy', url: 'http://127.0.0.1:3000' })).toEqual([])
  })
})
