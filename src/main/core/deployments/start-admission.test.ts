import { describe, expect, it } from 'vitest'
import type { Diagnosis, DeploymentState } from '../../../shared/contract/deployments'
import { AppError } from '../errors'
import { admitManual, type StartAdmission } from './start-admission'

function rt(state: DeploymentState) {
  const r = {
    state,
    diagnosis: null as Diagnosis | null,
    setState: (s: DeploymentState) => void (r.state = s),
    fail: (d: Diagnosis) => {
      r.state = 'failed'
      r.diagnosis = d
    },
  }
  return r
}
const base = { id: 'd1', name: 'big', signal: new AbortController().signal, progress: () => undefined }

describe('admitManual', () => {
  it("asks nothing for a start the gateway's planner admitted (it carries an override), nor without a planner", async () => {
    let asked = 0
    const admission: StartAdmission = { admit: async () => (asked++, { settle: () => undefined }) }
    expect(await admitManual(admission, { ...base, override: {} }, rt('stopped'))).toBeNull()
    expect(await admitManual(undefined, base, rt('stopped'))).toBeNull()
    expect(asked).toBe(0)
  })

  it("a restart's own container is stopped: it shows stopped before the planner looks, so its memory counts as released", async () => {
    const r = rt('stopping')
    let seen: DeploymentState | null = null
    const admission: StartAdmission = {
      admit: async () => {
        seen = r.state
        return { override: { gpus: ['GPU-0'] }, settle: () => undefined }
      },
    }
    expect(await admitManual(admission, base, r)).toMatchObject({ override: { gpus: ['GPU-0'] } })
    expect(seen).toBe('stopped')
  })

  it('a refusal fails the deployment with the message and the fix, and throws', async () => {
    const r = rt('stopped')
    const err = new AppError('UNAVAILABLE', 'Not enough GPU memory to start big: GPU 0: …', { fix: 'Stop a; then start it again.' })
    const admission: StartAdmission = { admit: async () => Promise.reject(err) }
    await expect(admitManual(admission, base, r)).rejects.toBe(err)
    expect(r.state).toBe('failed')
    expect(r.diagnosis).toMatchObject({ reason: err.message, hint: 'Stop a; then start it again.', kind: 'exited' })
  })

  it('a refused fixed utilization that would fit lower carries the one-click fix that sets it', async () => {
    const r = rt('stopped')
    const err = new AppError('UNAVAILABLE', 'Not enough GPU memory to start big: GPU 0: …', {
      fix: 'Free the memory other programs hold on GPU 0; then start it again.',
      fixArgs: { '--gpu-memory-utilization': 0.82 },
    })
    await expect(admitManual({ admit: async () => Promise.reject(err) }, base, r)).rejects.toBe(err)
    expect(r.diagnosis).toMatchObject({
      kind: 'gpu-memory-utilization',
      reason: err.message,
      hint: 'Free the memory other programs hold on GPU 0; then start it again. Or lower --gpu-memory-utilization to 0.82.',
      fix: { label: 'Set --gpu-memory-utilization 0.82', setArgs: { '--gpu-memory-utilization': 0.82 }, removeExtra: [] },
    })
  })

  it('a cancelled wait leaves the state as it was (no failure shown)', async () => {
    const r = rt('stopped')
    const admission: StartAdmission = { admit: async () => Promise.reject(new Error('cancelled')) }
    await expect(admitManual(admission, base, r)).rejects.toThrow('cancelled')
    expect(r.state).toBe('stopped')
  })
})
