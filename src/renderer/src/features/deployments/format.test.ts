import { describe, expect, it } from 'vitest'
import type { Deployment, DeploymentFootprint } from '@shared/contract/deployments'
import { footprintText } from './format'

const GiB = 1024 ** 3
const withFootprint = (footprint: DeploymentFootprint | null | undefined): Deployment => ({ footprint }) as Deployment
const fp = (o: Partial<DeploymentFootprint>): DeploymentFootprint => ({
  needsBytesPerGpu: 9.8 * GiB,
  kvBytesPerToken: 131_072,
  loads: 3,
  failures: 0,
  measuredBytesPerGpu: null,
  source: 'learned',
  ...o,
})

describe('footprintText', () => {
  it('says what a start needs and where the number comes from', () => {
    expect(footprintText(withFootprint(fp({})))).toBe('needs 9.8 GiB + KV per GPU · learned from 3 loads')
    expect(footprintText(withFootprint(fp({ loads: 1 })))).toBe('needs 9.8 GiB + KV per GPU · learned from 1 load')
    expect(footprintText(withFootprint(fp({ loads: 0, source: 'estimate', failures: 1 })))).toBe(
      'needs 9.8 GiB + KV per GPU · estimated · raised after 1 memory failure',
    )
    expect(footprintText(withFootprint(fp({ measuredBytesPerGpu: 21.2 * GiB, failures: 2 })))).toBe(
      'needs 9.8 GiB + KV per GPU · learned from 3 loads · 21.2 GiB measured · raised after 2 memory failures',
    )
  })

  it('nothing known: nothing shown', () => {
    expect(footprintText(withFootprint(null))).toBeNull()
    expect(footprintText(withFootprint(undefined))).toBeNull()
  })
})
