import { constants, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUFFER_BYTES, giveBuffer, isAligned, takeBuffer } from './buffers'

describe('the download buffer pool', () => {
  it('hands out page-aligned 4 MiB buffers that O_DIRECT writes take, and reuses what is given back', () => {
    const a = takeBuffer()
    const b = takeBuffer()
    expect([a.length, b.length, isAligned(a), isAligned(b)]).toEqual([BUFFER_BYTES, BUFFER_BYTES, true, true])
    a.fill(1)
    b.fill(2) // distinct memory
    expect([a[BUFFER_BYTES - 1], b[0]]).toEqual([1, 2])
    const dir = mkdtempSync(join(tmpdir(), 'inferadmin-direct-'))
    try {
      const file = join(dir, 'f')
      let fd: number
      try {
        fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT)
      } catch {
        return // this temp file system has no O_DIRECT (the transfer then writes through the page cache)
      }
      expect(writeSync(fd, a, 0, a.length, 0)).toBe(BUFFER_BYTES)
      expect(writeSync(fd, b, 0, b.length, BUFFER_BYTES)).toBe(BUFFER_BYTES)
      closeSync(fd)
      const back = readFileSync(file)
      expect([back.length, back[0], back[BUFFER_BYTES]]).toEqual([2 * BUFFER_BYTES, 1, 2])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    giveBuffer(b)
    expect(takeBuffer()).toBe(b)
  })
})
