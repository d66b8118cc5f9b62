import { createRouterClient } from '@orpc/server'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { recordingLogger } from './fake-electron'
import { deployment, gpus, job, testCore, webuiStatus } from './test-core'
import { applyDeploymentEvent, applyJobEvent, dockerErrorOf, TrayState } from './tray-state'

describe('folding core events', () => {
  it('keeps deployments in place on update, adds new ones, drops removed ones', () => {
    const a = deployment('a', 'A', 'stopped')
    const b = deployment('b', 'B', 'stopped')
    let list = applyDeploymentEvent(null, { type: 'snapshot', deployments: [a, b], orphans: [] })
    list = applyDeploymentEvent(list, { type: 'update', deployment: deployment('a', 'A', 'ready') })
    expect(list?.map((d) => `${d.definition.id}:${d.status.state}`)).toEqual(['a:ready', 'b:stopped'])
    list = applyDeploymentEvent(list, { type: 'update', deployment: deployment('c', 'C', 'loading') })
    list = applyDeploymentEvent(list, { type: 'removed', id: 'b' })
    expect(list?.map((d) => d.definition.id)).toEqual(['a', 'c'])
    expect(applyDeploymentEvent(list, { type: 'orphans', orphans: [] })).toBe(list)
  })

  it('keeps only the jobs still queued, running or paused', () => {
    let jobs = applyJobEvent([], { type: 'snapshot', jobs: [job('a', 'running'), job('b', 'done')] })
    expect(jobs.map((j) => j.id)).toEqual(['a'])
    jobs = applyJobEvent(jobs, { type: 'update', job: job('c', 'paused') })
    jobs = applyJobEvent(jobs, { type: 'update', job: job('a', 'done') })
    expect(jobs.map((j) => `${j.id}:${j.state}`)).toEqual(['c:paused'])
  })

  it('takes Docker as unreachable when Open WebUI says so', () => {
    expect(dockerErrorOf(webuiStatus('docker-unreachable'))).toBe('connect ENOENT /var/run/docker.sock')
    expect(dockerErrorOf(webuiStatus('absent'))).toBeNull()
    expect(dockerErrorOf(null)).toBeNull()
  })
})

describe('tray state over the core router', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }))
  afterEach(() => vi.useRealTimers())

  it('follows every stream and reports each change', async () => {
    const core = testCore()
    const client = createRouterClient(core.router, { context: { transport: 'ipc' } })
    const onChange = vi.fn()
    const state = new TrayState({
      sources: {
        gpu: (signal) => client.gpu.watch(undefined, { signal }),
        deployments: (signal) => client.deployments.watch(undefined, { signal }),
        gateway: (signal) => client.gateway.watch(undefined, { signal }),
        webui: (signal) => client.webui.watch(undefined, { signal }),
        jobs: (signal) => client.jobs.watch(undefined, { signal }),
      },
      onChange,
      logger: recordingLogger(),
    })
    const done = state.start()
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(5))
    core.set('gpus', gpus(1024))
    core.set('webui', webuiStatus('docker-unreachable'))
    await vi.waitFor(() => expect(state.input.dockerError).not.toBeNull())
    expect(state.input.gpus?.gpus).toHaveLength(1)
    state.dispose()
    await done
  })

  it('follows a failed stream again after a pause, logging why', async () => {
    const logger = recordingLogger()
    let opened = 0
    const failing = async () => {
      opened++
      throw new Error('core not ready')
    }
    const empty = async () => (async function* () {})()
    const state = new TrayState({
      sources: { gpu: failing, deployments: empty, gateway: empty, webui: empty, jobs: empty } as never,
      onChange: () => undefined,
      logger,
      retryMs: 5000,
    })
    const done = state.start()
    await vi.waitFor(() => expect(opened).toBe(1))
    expect(logger.lines[0]).toMatchObject({ msg: 'tray: a core stream failed', obj: { stream: 'gpu', err: 'core not ready' } })
    await vi.advanceTimersByTimeAsync(5000)
    expect(opened).toBe(2)
    state.dispose()
    await done
  })
})
