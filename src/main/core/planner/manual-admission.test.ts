import { describe, expect, it } from 'vitest'
import type { PlannerDecision } from '../../../shared/contract/planner'
import { AppError } from '../errors'
import { Publisher } from '../events/publisher'
import { manualAdmission, progressOf } from './manual-admission'
import type { Admission } from './planner-service'
import { backend } from './planner-world.fixture'

const decision = (kind: PlannerDecision['kind'], model: string, reason: string): PlannerDecision => ({ at: '', kind, model, reason })

/** A planner that answers `answers` in turn, logging `logged` before each; records started() and stops. */
function setup(answers: Admission[], logged: PlannerDecision[] = []) {
  const calls: string[] = []
  const log: PlannerDecision[] = []
  const changes = new Publisher<void>()
  const admission = manualAdmission({
    inner: { list: () => [backend('idle', 'ready')], stop: async (id, why) => void calls.push(`stop ${id} ${why}`) },
    planner: {
      admit: async () => {
        for (const d of logged) {
          log.unshift(d)
          changes.publish()
        }
        return answers.shift()!
      },
      started: (id, ok) => void calls.push(`started ${id} ${ok}`),
      waitFree: async () => void calls.push('waitFree'),
      log: (n = 100) => log.slice(0, n),
      onChange: (fn) => changes.subscribe(fn),
    },
    traffic: { inFlight: () => 0 },
  })
  return { admission, calls }
}

const go: Admission = {
  kind: 'go',
  id: 'new',
  gpus: [1],
  gpuUuids: ['GPU-1'],
  args: { '--gpu-memory-utilization': 0.41 },
  utilization: 0.41,
  bytesPerGpu: 1,
  holdsBytesPerGpu: 0,
  evictions: [{ kind: 'stop', modelId: 'idle', gpus: [1], freesBytesPerGpu: 1, hostBytes: 0, expectedCostSeconds: 1, reason: '' }],
}

describe('progressOf', () => {
  it("shows the planner's waits and evictions for this model only", () => {
    expect(progressOf(decision('wait', 'a', 'b is starting on GPU 0'), 'a')).toBe('Waiting for GPU memory: b is starting on GPU 0')
    expect(progressOf(decision('evict', 'a', 'stopped b: idle 3 min'), 'a')).toBe('Making room: stopped b: idle 3 min')
    expect(progressOf(decision('wait', 'other', 'x'), 'a')).toBeNull()
    expect(progressOf(decision('start', 'a', 'started a'), 'a')).toBeNull()
    expect(progressOf(undefined, 'a')).toBeNull()
  })
})

describe('manualAdmission', () => {
  it("evicts as planned, waits for the memory, and gives the job this start's GPUs and utilization; settles once", async () => {
    const { admission, calls } = setup([go], [decision('evict', 'new', 'stopped idle: idle 5 min')])
    const progress: string[] = []
    const a = await admission.admit('new', { name: 'new', signal: new AbortController().signal, progress: (m) => progress.push(m) })
    expect(a.override).toEqual({ gpus: ['GPU-1'], args: { '--gpu-memory-utilization': 0.41 } })
    expect(progress).toEqual(['Making room: stopped idle: idle 5 min'])
    a.settle(true)
    a.settle(false)
    expect(calls).toEqual(['stop idle manual', 'waitFree', 'started new true'])
  })

  it('a pass starts as configured (no override)', async () => {
    const { admission, calls } = setup([{ kind: 'pass', reason: 'no GPU' }])
    const a = await admission.admit('cpu', { name: 'cpu', signal: new AbortController().signal, progress: () => undefined })
    expect(a.override).toBeUndefined()
    a.settle(true)
    expect(calls).toEqual([])
  })

  it('a refusal fails fast with an AppError carrying the message and the fix', async () => {
    const message = 'Not enough GPU memory to start big: GPU 0: big needs 15.00 GiB, 3.00 GiB free; held by a 9.00 GiB (always-on)'
    const fix = 'Stop a (always-on models are never evicted) or set it to on-demand; then start it again.'
    const { admission } = setup([{ kind: 'cannot-fit', message, retryAfterSeconds: 60, fix }])
    const err = await admission
      .admit('big', { name: 'big', signal: new AbortController().signal, progress: () => undefined })
      .catch((e) => e)
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({ code: 'UNAVAILABLE', message, data: { fix } })
  })

  it('a job cancelled before the admission drops it: nothing is evicted, the reservation is released', async () => {
    const { admission, calls } = setup([go])
    const ac = new AbortController()
    ac.abort(new Error('cancelled'))
    await expect(admission.admit('new', { name: 'new', signal: ac.signal, progress: () => undefined })).rejects.toThrow('cancelled')
    await new Promise((r) => setImmediate(r))
    expect(calls).toEqual(['started new false'])
  })
})
