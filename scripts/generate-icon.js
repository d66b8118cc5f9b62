#!/usr/bin/env node
// @ts-check
/**
 * Draws the app icon in code: a dark rounded tile with a green GPU chip. No image tools or downloads; rerun after
 * changing the drawing: `node scripts/generate-icon.js`. Writes resources/icon.png (512x512 RGBA, the window icon),
 * resources/icons/NxN.png (16 to 512: the desktop entry and hicolor icons of the packages, drawn at each size rather
 * than scaled) and resources/tray/<state>.png + <state>@2x.png (32 and 64 px: the tray icon per state, with a dot).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const SIZE = 512 // the drawing's coordinate space
const SAMPLES = 4 // per axis, for anti-aliased edges
export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512]
/** Tray states (src/main/shell/tray-menu.ts TrayIconState) → dot colour; idle has no dot. */
const TRAY_DOTS = { idle: null, serving: [118, 185, 0], loading: [245, 166, 35], problem: [230, 57, 70] }

/**
 * Signed distance to a rounded rectangle centred at (cx, cy) with half-size (hw, hh) and radius r.
 * @param {number} x @param {number} y @param {number} cx @param {number} cy @param {number} hw @param {number} hh @param {number} r
 */
function roundedRect(x, y, cx, cy, hw, hh, r) {
  const qx = Math.abs(x - cx) - hw + r
  const qy = Math.abs(y - cy) - hh + r
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r
}

/** @param {number} x @param {number} y @returns {[number, number, number, number]} straight RGBA, 0..255 */
function shade(x, y) {
  const c = SIZE / 2
  if (roundedRect(x, y, c, c, 240, 240, 96) > 0) return [0, 0, 0, 0]
  // Background: slate gradient, top-left lighter.
  const t = (x + y) / (2 * SIZE)
  let rgb = [30 - 18 * t, 41 - 24 * t, 59 - 30 * t]
  const green = [118, 185, 0]
  const chip = roundedRect(x, y, c, c, 120, 120, 28)
  // Pins: five on each side of the chip.
  const along = (/** @type {number} */ v) => {
    const k = Math.round((v - c) / 44)
    return Math.abs(k) <= 2 && Math.abs(v - c - k * 44) < 11
  }
  const pinH = along(x) && Math.abs(y - c) > 120 && Math.abs(y - c) < 176
  const pinV = along(y) && Math.abs(x - c) > 120 && Math.abs(x - c) < 176
  if (pinH || pinV) rgb = [green[0] * 0.8, green[1] * 0.8, green[2]]
  if (chip <= 0) rgb = chip > -14 ? green : [22, 30, 40]
  // Die: a bright square with a notch of light, reading as "compute".
  const die = roundedRect(x, y, c, c, 62, 62, 14)
  if (die <= 0) rgb = green
  if (roundedRect(x, y, c - 18, c - 18, 18, 18, 6) <= 0) rgb = [235, 255, 200]
  return [rgb[0], rgb[1], rgb[2], 255]
}

/**
 * The icon with a status dot at the bottom right (a dark ring keeps it apart from the chip).
 * @param {[number, number, number] | null} dot @returns {(x: number, y: number) => [number, number, number, number]}
 */
function withDot(dot) {
  return (x, y) => {
    const d = dot ? Math.hypot(x - 396, y - 396) : Infinity
    if (dot && d <= 92) return [dot[0], dot[1], dot[2], 255]
    if (d <= 120) return [15, 20, 30, 255]
    return shade(x, y)
  }
}

/**
 * Renders the drawing at size x size: each pixel averages samples x samples points of the 512 space.
 * @param {number} size @param {(x: number, y: number) => [number, number, number, number]} fn
 */
function render(size, fn = shade) {
  const scale = SIZE / size
  const samples = Math.max(SAMPLES, Math.ceil((SAMPLES * scale) / 2))
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    const row = y * (size * 4 + 1)
    raw[row] = 0 // filter: none
    for (let x = 0; x < size; x++) {
      const acc = [0, 0, 0, 0]
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const [r, g, b, a] = fn((x + (sx + 0.5) / samples) * scale, (y + (sy + 0.5) / samples) * scale)
          acc[0] += r * a
          acc[1] += g * a
          acc[2] += b * a
          acc[3] += a
        }
      }
      const o = row + 1 + x * 4
      const alpha = acc[3] / (samples * samples)
      for (let i = 0; i < 3; i++) raw[o + i] = acc[3] ? Math.round(acc[i] / acc[3]) : 0
      raw[o + 3] = Math.round(alpha)
    }
  }
  return raw
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

/** @param {Buffer} buf */
function crc32(buf) {
  let c = 0xffffffff
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** @param {string} type @param {Buffer} data */
function chunk(type, data) {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

/** @param {number} size @param {Buffer} raw */
function png(size, raw) {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 6 // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const resources = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources')
/** @param {string} rel @param {Buffer} data */
function write(rel, data) {
  const out = join(resources, rel)
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, data)
  process.stdout.write(`wrote resources/${rel} (${data.length} bytes)\n`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const full = png(SIZE, render(SIZE))
  write('icon.png', full)
  for (const size of ICON_SIZES) write(`icons/${size}x${size}.png`, size === SIZE ? full : png(size, render(size)))
  for (const [state, dot] of Object.entries(TRAY_DOTS)) {
    const shadeDot = withDot(/** @type {[number, number, number] | null} */ (dot))
    write(`tray/${state}.png`, png(32, render(32, shadeDot)))
    write(`tray/${state}@2x.png`, png(64, render(64, shadeDot)))
  }
}
