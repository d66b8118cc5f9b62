import { describe, expect, it } from 'vitest'
import type { DeploymentDefinition } from '../../../shared/contract/deployments'
import { sleepModeProblem, withSleepMode } from './sleep-mode'

const flags = [{ flag: '--enable-sleep-mode' }, { flag: '--max-model-len' }]
const def = { sleepMode: 'auto', image: 'vllm/vllm-openai:v0.21.0' } as const

describe('sleep mode of a deployment', () => {
  it('is allowed on loopback with an image that has --enable-sleep-mode', () => {
    expect(sleepModeProblem(def, { listen: '127.0.0.1', flags })).toBeNull()
    expect(sleepModeProblem({ ...def, sleepMode: 'off' }, { listen: '0.0.0.0', flags: [] })).toBeNull()
  })

  it('is refused on a published interface (its admin routes have no key), naming the fix', () => {
    const e = sleepModeProblem(def, { listen: '0.0.0.0', flags })!
    expect(e.message).toContain('published on 0.0.0.0')
    expect(e.data.fix).toMatch(/gateway on|127\.0\.0\.1/)
  })

  it('is refused for an image without the flag', () => {
    const e = sleepModeProblem(def, { listen: '127.0.0.1', flags: flags.slice(1) })!
    expect(e.message).toContain('vllm/vllm-openai:v0.21.0 does not have')
  })

  it('adds --enable-sleep-mode and VLLM_SERVER_DEV_MODE=1 to the container, and nothing when off', () => {
    const d = { sleepMode: 'auto', args: { '--max-model-len': 4096 }, env: { A: '1' } } as unknown as DeploymentDefinition
    expect(withSleepMode(d)).toMatchObject({
      args: { '--max-model-len': 4096, '--enable-sleep-mode': true },
      env: { A: '1', VLLM_SERVER_DEV_MODE: '1' },
    })
    const off = { ...d, sleepMode: 'off' } as DeploymentDefinition
    expect(withSleepMode(off)).toBe(off)
  })
})
