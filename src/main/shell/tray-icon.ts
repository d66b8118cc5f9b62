import { deflateSync } from 'node:zlib'
import type { TrayIconState } from './tray-menu'

/**
 * The tray icon with a VRAM bar per GPU (issue #17 point 1), drawn in memory as a PNG: main has no canvas, Linux
 * takes PNG/JPEG only, and `nativeImage.createFromBuffer` decodes PNG without the byte-order questions of
 * createFromBitmap. Each setImage on GNOME writes a new temp file, so the shell should set it only when
 * `trayIconKey` changes (levels are quantised) and at most every few seconds.
 */

export interface TrayIconInput {
  state: TrayIconState
  /** Used / total VRAM per GPU, 0..1 (null when unknown); at most four are drawn. */
  vram: readonly (number | null)[]
}

const LEVELS = 8
const MAX_BARS = 4
type Rgba = [number, number, number, number]
const TILE: Rgba = [30, 41, 59, 255]
const TRACK: Rgba = [71, 85, 105, 255]
const FILL: Rgba = [118, 185, 0, 255]
const DOT: Record<TrayIconState, Rgba | null> = {
  idle: null,
  serving: [118, 185, 0, 255],
  loading: [245, 166, 35, 255],
  problem: [230, 57, 70, 255],
}

/** A VRAM fraction → 0..LEVELS (what the icon can show). */
export function vramLevel(fraction: number | null): number | null {
  if (fraction === null || !Number.isFinite(fraction)) return null
  return Math.round(Math.min(1, Math.max(0, fraction)) * LEVELS)
}

/** Equal keys draw the same icon: set a new image only when it changes. */
export function trayIconKey(input: TrayIconInput): string {
  return `${input.state}:${input.vram
    .slice(0, MAX_BARS)
    .map((f) => vramLevel(f) ?? '-')
    .join(',')}`
}

const CRC = new Int32Array(256).map((_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c
})

export function crc32(buf: Buffer): number {
  let c = -1
  for (const x of buf) c = (CRC[(c ^ x) & 255] ?? 0) ^ (c >>> 8)
  return (c ^ -1) >>> 0
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])))
  return Buffer.concat([head, data, crc])
}

/** Straight 8-bit RGBA pixels → PNG. */
export function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  if (rgba.length !== width * height * 4) {
    throw new Error(`encodePng needs ${width * height * 4} bytes for ${width}x${height} RGBA, got ${rgba.length}`)
  }
  const stride = width * 4
  const raw = Buffer.alloc((stride + 1) * height)
  for (let y = 0; y < height; y++) rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride)
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = 6
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

/**
 * size x size RGBA: a dark rounded tile, one vertical bar per GPU filled from the bottom to its VRAM level
 * (a track only when unknown), and a status dot at the top right (none when idle).
 */
export function drawTrayIcon(input: TrayIconInput, size = 32): Buffer {
  if (!Number.isInteger(size) || size < 16 || size > 256)
    throw new Error(`tray icon size must be a whole number from 16 to 256 (got ${size})`)
  const px = Buffer.alloc(size * size * 4)
  const put = (x: number, y: number, c: Rgba) => px.set(c, (y * size + x) * 4)
  const r = Math.round(size * 0.2)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = Math.max(r - x, x - (size - 1 - r), 0)
      const dy = Math.max(r - y, y - (size - 1 - r), 0)
      if (dx * dx + dy * dy <= r * r) put(x, y, TILE)
    }
  }
  const bars = input.vram.slice(0, MAX_BARS)
  const n = Math.max(bars.length, 1)
  const pad = Math.round(size * 0.16)
  const top = Math.round(size * 0.3)
  const bottom = size - pad
  const slot = (size - 2 * pad) / n
  const width = Math.max(2, Math.floor(slot * 0.6))
  bars.forEach((f, i) => {
    const x0 = Math.round(pad + i * slot + (slot - width) / 2)
    const level = vramLevel(f)
    const filledFrom = level === null ? bottom : bottom - Math.round(((bottom - top) * level) / LEVELS)
    for (let y = top; y < bottom; y++) for (let x = x0; x < x0 + width; x++) put(x, y, y >= filledFrom ? FILL : TRACK)
  })
  const dot = DOT[input.state]
  if (dot) {
    const cr = size * 0.16
    const c = size - 1 - cr
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if ((x - c) ** 2 + (y - cr) ** 2 <= cr * cr) put(x, y, dot)
  }
  return px
}

/** The PNG for `nativeImage.createFromBuffer`. */
export function trayIconPng(input: TrayIconInput, size = 32): Buffer {
  return encodePng(size, size, drawTrayIcon(input, size))
}
