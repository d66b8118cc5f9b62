import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { crc32, drawTrayIcon, encodePng, trayIconKey, trayIconPng } from './tray-icon'

/** Reads back what encodePng wrote (filter 0 rows), checking every chunk CRC as a PNG decoder does. */
function decode(png: Buffer): { width: number; height: number; rgba: Buffer } {
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10])
  let off = 8
  let width = 0
  let height = 0
  const idat: Buffer[] = []
  while (off < png.length) {
    const len = png.readUInt32BE(off)
    const type = png.toString('ascii', off + 4, off + 8)
    const data = png.subarray(off + 8, off + 8 + len)
    expect(png.readUInt32BE(off + 8 + len)).toBe(crc32(png.subarray(off + 4, off + 8 + len)))
    if (type === 'IHDR') [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)]
    if (type === 'IDAT') idat.push(data)
    off += 12 + len
  }
  const raw = inflateSync(Buffer.concat(idat))
  const rgba = Buffer.alloc(width * height * 4)
  for (let y = 0; y < height; y++) raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1))
  return { width, height, rgba }
}

const pixel = (rgba: Buffer, size: number, x: number, y: number) => [...rgba.subarray((y * size + x) * 4, (y * size + x) * 4 + 4)]

describe('tray icon with VRAM bars', () => {
  it('is a valid 32x32 RGBA PNG that decodes to the drawn pixels', () => {
    const input = { state: 'serving', vram: [0.5, 1] } as const
    const { width, height, rgba } = decode(trayIconPng(input))
    expect([width, height]).toEqual([32, 32])
    expect(rgba.equals(drawTrayIcon(input))).toBe(true)
  })

  it('fills a full GPU bar to the top and leaves an empty one as a grey track', () => {
    const rgba = drawTrayIcon({ state: 'idle', vram: [0, 1] })
    const nearTop = 11
    expect(pixel(rgba, 32, 11, nearTop)).toEqual([71, 85, 105, 255])
    expect(pixel(rgba, 32, 20, nearTop)).toEqual([118, 185, 0, 255])
  })

  it('shows the state as a dot: red for a problem, none when idle', () => {
    expect(pixel(drawTrayIcon({ state: 'problem', vram: [] }), 32, 26, 5)).toEqual([230, 57, 70, 255])
    expect(pixel(drawTrayIcon({ state: 'idle', vram: [] }), 32, 26, 5)).toEqual([30, 41, 59, 255])
    expect(pixel(drawTrayIcon({ state: 'idle', vram: [] }), 32, 0, 0)).toEqual([0, 0, 0, 0])
  })

  it('changes key only when what the icon shows changes (levels are quantised)', () => {
    expect(trayIconKey({ state: 'serving', vram: [0.5, 0.51] })).toBe(trayIconKey({ state: 'serving', vram: [0.51, 0.5] }))
    expect(trayIconKey({ state: 'serving', vram: [0.5] })).not.toBe(trayIconKey({ state: 'serving', vram: [0.75] }))
    expect(trayIconKey({ state: 'serving', vram: [0.5] })).not.toBe(trayIconKey({ state: 'loading', vram: [0.5] }))
    expect(trayIconKey({ state: 'idle', vram: [null, 2] })).toBe('idle:-,8')
  })

  it('refuses a size it cannot draw and a buffer of the wrong length, naming the need', () => {
    expect(() => drawTrayIcon({ state: 'idle', vram: [] }, 8)).toThrow(/from 16 to 256/)
    expect(() => encodePng(2, 2, Buffer.alloc(3))).toThrow(/needs 16 bytes for 2x2 RGBA, got 3/)
  })
})
