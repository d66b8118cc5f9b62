import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attribute } from '../../src/main/core/gpu/attribution'
import { APPS_ARGS, classifyFault, isFaultLine, loopArgs, parseComputeApps, parseGpuLine } from '../../src/main/core/gpu/nvsmi.js'
import { cudaVersion } from '../../src/main/core/host/checks-local'
import type { GpusSnapshot } from '../../src/shared/contract/gpu'
import type { DoctorReport } from '../../src/shared/contract/host'
import { repoRoot } from './sim-gpus'
import { type App, startApp, waitFor } from './support'

// Our nvidia-smi parsers against output captured from a real NVIDIA H200 (driver 580.159.04, CUDA 13.0):
// test/fixtures/nvidia-smi/h200-driver-580/README.md.
const FIX = join(repoRoot, 'test/fixtures/nvidia-smi/h200-driver-580')
const form = (name: string) => {
  const read = (ext: string) => readFileSync(join(FIX, `${name}.${ext}`), 'utf8')
  return { cmd: read('cmd').trim(), out: read('out'), err: read('err'), rc: Number(read('rc')) }
}
const UUID = 'GPU-14f5f798-d931-e771-508a-c52991ef5a17'
const H200_IDLE = {
  index: 0,
  uuid: UUID,
  name: 'NVIDIA H200',
  memoryTotalMiB: 143771,
  memoryUsedMiB: 0,
  memoryFreeMiB: 143156,
  utilizationPct: 0,
  powerDrawW: 79.76,
  powerLimitW: 700,
  temperatureC: 33,
  driverVersion: '580.159.04',
}

/** An executable that answers like the captured card (test/gpu/replay-nvidia-smi.js). */
function replaySmi(dir: string, held: boolean): string {
  const path = join(dir, held ? 'nvidia-smi-held' : 'nvidia-smi')
  const script = join(repoRoot, 'test/gpu/replay-nvidia-smi.js')
  const env = `INFERADMIN_SMI_REPLAY_DIR='${FIX}' INFERADMIN_SMI_REPLAY_HELD=${held ? 1 : 0}`
  writeFileSync(path, `#!/bin/sh\n${env} exec '${process.execPath}' '${script}' "$@"\n`)
  chmodSync(path, 0o755)
  return path
}

describe('the capture asked what the app asks', () => {
  it("loop query and compute-apps query are the app's own arguments", () => {
    expect(form('loopq').cmd).toBe(`nvidia-smi ${loopArgs(1000).slice(0, 2).join(' ')}`)
    expect(form('apps-held').cmd).toBe(`nvidia-smi ${APPS_ARGS.join(' ')}`)
  })
})

describe('parseGpuLine on the real loop query', () => {
  it('reads the idle H200 row exactly', () => {
    const f = form('loopq')
    expect(f.rc).toBe(0)
    expect(f.out.split('\n').filter(Boolean).map(parseGpuLine)).toEqual([H200_IDLE])
  })

  it('reads every line of the real -lms loop as a GPU 0 row and none as a fault', () => {
    const lines = readFileSync(join(FIX, 'loop-lms.out'), 'utf8').split('\n').filter(Boolean)
    expect(lines.length).toBeGreaterThanOrEqual(5)
    for (const line of lines) {
      expect(parseGpuLine(line), line).toMatchObject({ ...H200_IDLE, powerDrawW: expect.any(Number), temperatureC: expect.any(Number) })
      expect(isFaultLine(line)).toBe(false)
    }
  })

  it('reads memory with a process holding 3 GiB', () => {
    const row = parseGpuLine(form('loopq-held').out.trim())
    expect(row).toMatchObject({ memoryTotalMiB: 143771, memoryUsedMiB: 3599, memoryFreeMiB: 139558, powerDrawW: 122.31, temperatureC: 35 })
  })

  it('does not take the header line for a row', () => {
    const [header, row] = form('loopq-header').out.split('\n')
    expect(parseGpuLine(header ?? '')).toBeNull()
    expect(row).toMatch(/^0, GPU-/)
  })
})

describe('parseComputeApps on the real compute-apps query', () => {
  it('reads the held process, nothing from empty output or a lone header', () => {
    expect(parseComputeApps(form('apps-held').out)).toEqual([{ pid: 476, gpuUuid: UUID, usedMiB: 3590 }])
    expect(form('apps-empty')).toMatchObject({ out: '', err: '', rc: 0 })
    expect(parseComputeApps(form('apps-empty').out)).toEqual([])
    expect(parseComputeApps(form('apps-empty-header').out)).toEqual([])
  })
})

describe('memory split from the real reading', () => {
  it('shows the driver reservation (memory.reserved) as reserved, the process as other use', () => {
    const row = parseGpuLine(form('loopq-held').out.trim())!
    const [g] = attribute([row], { at: 0, list: parseComputeApps(form('apps-held').out) }, new Map())
    const reserved = Number(/^0, [^,]+, (\d+) MiB,/m.exec(form('extra').out)?.[1])
    expect(reserved).toBe(616)
    expect(g?.memory).toMatchObject({ containers: [], otherMiB: 3599, otherProcesses: [{ pid: 476, usedMiB: 3590 }], freeMiB: 139558 })
    // total − used − free: each value is rounded to MiB on its own, so it is within 2 MiB of memory.reserved
    expect(Math.abs((g?.memory.reservedMiB ?? 0) - reserved)).toBeLessThanOrEqual(2)
  })
})

describe('classifyFault on the real error outputs (all on stdout)', () => {
  it('an unknown GPU id is "no GPU"', () => {
    const f = form('badid')
    expect(f).toMatchObject({ out: 'No devices were found\n', err: '', rc: 6 })
    const fault = classifyFault({ output: f.out + f.err, exitCode: f.rc, path: 'nvidia-smi' })
    expect(fault).toMatchObject({ kind: 'no-gpu', message: 'No devices were found', exitCode: 6 })
  })

  it("a field the driver does not know, a bad format and an unknown option: nvidia-smi's words and the exit code", () => {
    const cases: [string, string][] = [
      ['badfield', 'Field "no.such.field" is not a valid field to query. (nvidia-smi exited with code 2)'],
      ['badformat', 'Format modifier is not recognized. (nvidia-smi exited with code 2)'],
      ['badopt', "ERROR: Option --no-such-option is not recognized. Please run 'nvidia-smi -h'. (nvidia-smi exited with code 255)"],
    ]
    for (const [name, message] of cases) {
      const f = form(name)
      expect(f.err, name).toBe('')
      const fault = classifyFault({ output: f.out + f.err, exitCode: f.rc, path: 'nvidia-smi' })
      expect(fault, name).toMatchObject({ kind: 'nvidia-smi-failed', message, exitCode: f.rc })
      expect(fault.fix).toMatch(/Run `nvidia-smi` in a terminal/)
    }
  })
})

describe('the app against a replay of the real card', () => {
  let dir: string
  let app: App
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inferadmin-smi-real-'))
    app = await startApp({
      env: { INFERADMIN_NVIDIA_SMI: replaySmi(dir, true), PATH: '/usr/bin:/bin', HF_ENDPOINT: 'http://127.0.0.1:9' },
      settings: { dockerSocket: `unix://${dir}/no-such-docker.sock` },
      gpuTuning: { appsEveryMs: 300 },
    })
  })
  afterAll(async () => {
    await app?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads the CUDA version from the real banner', async () => {
    expect(await cudaVersion(replaySmi(dir, false))).toBe('13.0')
  })

  it('GET /api/v1/gpus shows the H200 with its process, free memory and the driver reservation', async () => {
    const s = await waitFor('the H200 with its compute process', async () => {
      const x = (await app.get<GpusSnapshot>('/api/v1/gpus')).body
      return x.gpus[0]?.memory.appsAt ? x : undefined
    })
    expect(s).toMatchObject({ status: 'ok', fault: null })
    expect(s.gpus).toHaveLength(1)
    expect(s.gpus[0]).toMatchObject({ name: 'NVIDIA H200', uuid: UUID, memoryTotalMiB: 143771, memoryUsedMiB: 3599, powerLimitW: 700 })
    expect(s.gpus[0]?.memory).toMatchObject({ otherProcesses: [{ pid: 476, usedMiB: 3590 }], freeMiB: 139558, reservedMiB: 614 })
  })

  it('the doctor names driver, CUDA version and the GPU', async () => {
    // Its own wait for a sample: in shuffled order (npm run test:stress, seed 501) it ran before the test above
    // and read the doctor before the sampler's first sample ("Waiting for the first nvidia-smi sample").
    await waitFor('a GPU sample', async () => ((await app.get<GpusSnapshot>('/api/v1/gpus')).body.status === 'ok' ? true : undefined))
    const { body } = await app.get<DoctorReport>('/api/v1/system/doctor')
    const driver = body.checks.find((c) => c.id === 'driver')
    expect(driver).toMatchObject({ status: 'ok', detail: 'Driver 580.159.04, CUDA 13.0; 1 GPU(s): GPU 0: NVIDIA H200' })
  })
})
