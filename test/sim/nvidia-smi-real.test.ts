import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from './gpus/nvidia-smi.js'
import { PROFILES } from './gpus/profiles.js'
import { APP_FIELD_NAMES, GPU_FIELD_NAMES, resolveAppFields, resolveGpuFields } from './gpus/smi-fields.js'
import { asctime } from './gpus/smi-table.js'
import { initGpuState, registerAllocation } from './gpus/state.js'

// The stand-in nvidia-smi against a real one: every form captured on an NVIDIA H200 (driver 580.159.04,
// test/fixtures/nvidia-smi/h200-driver-580/README.md) is asked of the stand-in's `h200` profile, and the answers
// must have the same shape: exit code, stream, header names and units, field kinds, table layout. Values differ.
const FIX = resolve(import.meta.dirname, '../fixtures/nvidia-smi/h200-driver-580')
const FORMS = readdirSync(FIX)
  .filter((f) => f.endsWith('.cmd'))
  .map((f) => f.slice(0, -4))
  .sort()
const real = (name: string) => {
  const read = (ext: string) => readFileSync(join(FIX, `${name}.${ext}`), 'utf8')
  const args = read('cmd')
    .trim()
    .replace(/^nvidia-smi\s*/, '')
    .split(/\s+/)
    .filter(Boolean)
  return { args, out: read('out'), err: read('err'), code: Number(read('rc')) }
}

const CSV = ['loopq', 'loopq-header', 'loopq-units', 'loopq-held', 'extra']
CSV.push('apps-empty', 'apps-empty-header', 'apps-held', 'apps-held-full')
const ERRORS = ['badfield', 'badformat', 'badid', 'badid-uuid', 'badopt']
const TABLES = ['banner', 'banner-held']
const NOT_SIMULATED = ['q', 'q-memory', 'q-held-memory', 'qx', 'help-query-gpu', 'help-query-apps', 'topo', 'pmon']
const H200 = PROFILES.h200!.gpus[0]!

let dir: string
let gpuDir: string
let held: { release(): void } | null = null
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inferadmin-smi-real-'))
  gpuDir = join(dir, 'gpus')
  initGpuState(gpuDir, { profile: PROFILES.h200 })
})
afterEach(() => {
  held?.release()
  held = null
  rmSync(dir, { recursive: true, force: true })
})

async function smi(args: string[], stopAfterLines?: number): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const ac = new AbortController()
  const code = await main(args, {
    env: { INFERADMIN_SIM_GPU_DIR: gpuDir },
    out: (s) => {
      out += s
      if (stopAfterLines && out.split('\n').length > stopAfterLines) ac.abort()
    },
    err: (s) => void (err += s),
    signal: ac.signal,
  })
  return { code, out, err }
}

/** The form as the stand-in answers it; `*-held` forms with a host process holding 3590 MiB, as in the capture. */
function standIn(name: string, stopAfterLines?: number) {
  if (name.includes('held')) {
    held = holdMiB(3590)
  }
  return smi(real(name).args, stopAfterLines)
}

/** A host process (this one) holding memory on the H200, as the torch tensor of the capture did. */
const holdMiB = (usedMiB: number) =>
  registerAllocation(gpuDir, { containerId: null, pid: process.pid, processName: 'python3', gpus: [{ uuid: H200.uuid, usedMiB }] })

/** What kind of value a CSV field holds (units kept, digits not). */
function kind(v: string): string {
  const unit = /^(.*) (MiB|%|W|MHz)$/.exec(v)
  if (unit) return `${kind(unit[1]!)} ${unit[2]}`
  if (/^\[[^\]]+\]$/.test(v)) return v
  if (/^\d+$/.test(v)) return 'int'
  if (/^\d+\.\d+$/.test(v)) return `decimal/${v.split('.')[1]!.length}`
  if (/^GPU-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/.test(v)) return 'uuid'
  if (/^[0-9A-F]{8}:[0-9A-F]{2}:[0-9A-F]{2}\.[0-7]$/.test(v)) return 'bus id'
  return 'text'
}
const rowKinds = (line: string) => line.split(', ').map(kind)

/** Text runs of a table line with their columns; digits folded so that 122W and 80W read alike. */
function runs(line: string) {
  const found = [...line.replace(/\|/g, ' ').matchAll(/[^ ](?:[^ ]| (?! ))*/g)]
  return found.map((m) => ({ text: m[0].replace(/\d+/g, '9'), start: m.index, end: m.index + m[0].length }))
}

describe('stand-in nvidia-smi against a real H200 (driver 580)', () => {
  it('covers every captured form (new captures must be sorted into a kind here)', () => {
    expect([...CSV, ...ERRORS, ...TABLES, 'list', ...NOT_SIMULATED].sort()).toEqual(FORMS)
  })

  it.each(CSV)('%s: same exit code, header names and units, rows and field kinds', async (name) => {
    const want = real(name)
    const got = await standIn(name)
    expect({ code: got.code, err: got.err }).toEqual({ code: want.code, err: want.err })
    const wantLines = want.out.split('\n').filter(Boolean)
    const gotLines = got.out.split('\n').filter(Boolean)
    expect(gotLines).toHaveLength(wantLines.length)
    const withHeader = !want.args.some((a) => a.includes('noheader'))
    if (withHeader) expect(gotLines[0]).toBe(wantLines[0])
    wantLines.slice(withHeader ? 1 : 0).forEach((line, i) => expect(rowKinds(gotLines[i + (withHeader ? 1 : 0)]!)).toEqual(rowKinds(line)))
  })

  it.each(ERRORS)('%s: the real message on the real stream with the real exit code', async (name) => {
    const { out, err, code } = real(name)
    expect(await standIn(name)).toEqual({ out, err, code })
  })

  it('-L: one line per GPU in the real format', async () => {
    const { out, err, code } = real('list')
    const got = await standIn('list')
    const shape = (s: string) => s.replace(/GPU-[0-9a-f-]{36}/g, 'GPU-<uuid>')
    expect({ ...got, out: shape(got.out) }).toEqual({ out: shape(out), err, code })
  })

  it.each(TABLES)('%s: the plain table has the real layout (lines, borders, columns, alignment)', async (name) => {
    const want = real(name).out.split('\n')
    const got = (await standIn(name)).out.split('\n')
    expect(got).toHaveLength(want.length)
    const date = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d \d{4} {7}$/
    expect(want[0]).toMatch(date)
    expect(got[0]).toMatch(date)
    want.slice(1).forEach((line, i) => {
      const g = got[i + 1]!
      expect(g.length, g).toBe(line.length)
      expect(g.replace(/[^|+]/g, ' '), g).toBe(line.replace(/[^|+]/g, ' '))
      const [a, b] = [runs(g), runs(line)]
      expect(
        a.map((r) => r.text),
        g,
      ).toEqual(b.map((r) => r.text))
      // each run starts (left-aligned) or ends (right-aligned) where the real one does
      a.forEach((r, j) => expect(r.start === b[j]!.start || r.end === b[j]!.end, `${g}\n${line}`).toBe(true))
    })
  })

  it("the table date is C's asctime (day padded with a space), and drivers before 580 keep their separators", async () => {
    expect(asctime(new Date(2026, 11, 4, 16, 42, 5))).toBe('Fri Dec  4 16:42:05 2026')
    expect(asctime(new Date(2026, 11, 14, 6, 2, 5))).toBe('Mon Dec 14 06:02:05 2026')
    initGpuState(gpuDir, { profile: PROFILES.default, reset: true })
    const lines = (await smi([])).out.split('\n')
    // 550/570 drivers (public output): `|---…+` under the version row, a line of spaces between the tables
    expect(lines[3]).toMatch(/^\|-{41}\+/)
    expect(lines).toContain(' '.repeat(89))
  })

  it('the -lms loop prints rows of the real shape and nothing else', async () => {
    const want = readFileSync(join(FIX, 'loop-lms.out'), 'utf8').split('\n').filter(Boolean)
    const got = await smi([...real('loopq').args, '-lms', '20'], 3)
    expect(got.code).toBe(0)
    const lines = got.out.split('\n').slice(0, 3)
    for (const line of lines) expect(rowKinds(line)).toEqual(rowKinds(want[0]!))
  })

  it.each(NOT_SIMULATED)('%s: not simulated, and says so instead of answering like a real tool', async (name) => {
    const got = await standIn(name)
    expect(got.code).not.toBe(0)
    expect(got.out).toBe('')
    expect(got.err).toMatch(/is not simulated\. Supported: -L, -i ID, --query-gpu/)
  })

  it('accepts only field names the real tool lists, and heads each column with the listed name', () => {
    for (const [help, names, resolveFields] of [
      ['help-query-gpu', GPU_FIELD_NAMES, resolveGpuFields],
      ['help-query-apps', APP_FIELD_NAMES, resolveAppFields],
    ] as const) {
      const listed = new Map<string, string>()
      for (const line of real(help).out.split('\n')) {
        const names = [...line.matchAll(/^"([^"]+)"(?: or "([^"]+)")?$/g)][0]
        if (names) for (const n of names.slice(1).filter(Boolean)) listed.set(n!, names[1]!)
      }
      for (const n of names) {
        expect(listed.has(n), `${help}: ${n}`).toBe(true)
        const r = resolveFields(n)
        expect('fields' in r && r.fields[0]!.header, n).toBe(listed.get(n))
      }
    }
  })
})

describe('memory accounting like the real driver (memory.reserved)', () => {
  const query = ['--query-gpu=memory.total,memory.reserved,memory.used,memory.free', '--format=csv,noheader,nounits']

  it('the h200 profile reserves what the real card does: free = total - reserved - used', async () => {
    // real: total 143771, reserved 616, used 0, free 143156 (each rounded to MiB on its own)
    const [total, reserved, used, free] = (await smi(query)).out.trim().split(', ').map(Number)
    expect([total, reserved, used]).toEqual([143771, 616, 0])
    expect(free).toBe(total! - reserved! - used!)
    expect(Math.abs(free! - 143156)).toBeLessThanOrEqual(2)
    held = holdMiB(3590)
    const [, , usedHeld, freeHeld] = (await smi(query)).out.trim().split(', ').map(Number)
    expect([usedHeld, freeHeld]).toEqual([3590, 143771 - 616 - 3590])
  })

  it('every profile keeps a realistic reservation (0.2 % to 2 % of total) out of used and free', async () => {
    for (const name of Object.keys(PROFILES)) {
      initGpuState(gpuDir, { profile: PROFILES[name], reset: true })
      for (const line of (await smi(query)).out.trim().split('\n')) {
        const [total, reserved, used, free] = line.split(', ').map(Number)
        expect(reserved! / total!, name).toBeGreaterThan(0.002)
        expect(reserved! / total!, name).toBeLessThan(0.02)
        expect(used! + free! + reserved!, name).toBe(total)
      }
    }
  })
})
