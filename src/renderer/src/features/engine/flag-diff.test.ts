import { describe, expect, it } from 'vitest'
import type { FlagDiff } from '@shared/contract/engine'
import { flagDiffIsEmpty } from './flag-diff'

const none: FlagDiff = { from: 'latest', to: 'v0.21.0', basis: 'images', added: [], removed: [], renamed: [], deprecated: [], rejected: [] }

describe('a version change that changes no flags', () => {
  it('is empty only when nothing is added, removed, renamed, deprecated or refused', () => {
    expect(flagDiffIsEmpty(none)).toBe(true)
    expect(flagDiffIsEmpty({ ...none, added: ['--x'] })).toBe(false)
    expect(flagDiffIsEmpty({ ...none, removed: ['--x'] })).toBe(false)
    expect(flagDiffIsEmpty({ ...none, renamed: [{ from: '--a', to: '--b' }] })).toBe(false)
    expect(flagDiffIsEmpty({ ...none, deprecated: ['--x'] })).toBe(false)
    expect(flagDiffIsEmpty({ ...none, rejected: [{ flag: '--x', reason: 'removed', successor: null }] })).toBe(false)
  })
})
