import { describe, expect, it } from 'vitest'
import { HOST_RAM_MARGIN_BYTES, sleepChoice } from './sleep-choice'

const GiB = 1024 ** 3
const base = { hostFreeBytes: 64 * GiB, weightsBytes: 16 * GiB, sleepEnabled: true, imageSupports: true }

describe('sleepChoice: stop or sleep an idle deployment, and how deep', () => {
  it('level 1 when host RAM holds the weights beyond the margin', () => {
    expect(sleepChoice(base)).toBe('level1')
    expect(sleepChoice({ ...base, hostFreeBytes: 16 * GiB + HOST_RAM_MARGIN_BYTES })).toBe('level1')
  })

  it('level 2 when the weights do not fit in free host RAM, or their size is unknown', () => {
    expect(sleepChoice({ ...base, hostFreeBytes: 16 * GiB + HOST_RAM_MARGIN_BYTES - 1 })).toBe('level2')
    expect(sleepChoice({ ...base, hostFreeBytes: 4 * GiB })).toBe('level2')
    expect(sleepChoice({ ...base, weightsBytes: null })).toBe('level2')
  })

  it('stop when the deployment did not opt in or its image has no sleep mode', () => {
    expect(sleepChoice({ ...base, sleepEnabled: false })).toBe('stop')
    expect(sleepChoice({ ...base, imageSupports: false })).toBe('stop')
  })
})
