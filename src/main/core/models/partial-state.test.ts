import { describe, expect, it } from 'vitest'
import { contiguousEnd } from './file-writer'
import { planRanges, streamsPerFile } from './partial-state'

describe('planRanges', () => {
  it('one stream for a fresh file; split at chunk boundaries nearest the middle when asked for more', () => {
    expect(planRanges(250, 100, [0, 0, 0], 1)).toEqual([{ start: 0, end: 250 }])
    expect(planRanges(250, 100, [0, 0, 0], 2)).toEqual([
      { start: 0, end: 100 },
      { start: 100, end: 250 },
    ])
    expect(planRanges(250, 100, [0, 0, 0], 8)).toHaveLength(3) // never below one chunk
  })

  it('resumes each chunk where its written bytes end and skips complete chunks', () => {
    expect(planRanges(250, 100, [100, 40, 0], 1)).toEqual([{ start: 140, end: 250 }])
    expect(planRanges(250, 100, [30, 100, 10], 1)).toEqual([
      { start: 30, end: 100 },
      { start: 210, end: 250 },
    ])
    expect(planRanges(250, 100, [100, 100, 50], 4)).toEqual([])
    expect(planRanges(0, 100, [], 4)).toEqual([])
  })
})

describe('streamsPerFile', () => {
  it('one stream per file when files ≥ connections; spare connections go to the largest files', () => {
    expect(streamsPerFile([10, 10, 10], 2, 1)).toEqual([1, 1, 1])
    expect(streamsPerFile([1000, 100], 8, 100)).toEqual([7, 1])
    expect(streamsPerFile([150], 8, 100)).toEqual([1]) // a second stream would get less than a chunk
  })
})

describe('contiguousEnd', () => {
  it('is the prefix written from byte 0', () => {
    expect(contiguousEnd(250, 100, [100, 40, 50])).toBe(140)
    expect(contiguousEnd(250, 100, [100, 100, 50])).toBe(250)
    expect(contiguousEnd(250, 100, [0, 100, 50])).toBe(0)
  })
})
