import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveVisible, HookError } from './engine/hook.js'
import { main } from './gpus/nvidia-smi.js'
import { PROFILES } from './gpus/profiles.js'
import { initGpuState, readState, registerAllocation, setExternalUsage, setFaultState } from './gpus/state.js'

let dir: string
let gpuDir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inferadmin-smi-'))
  gpuDir = join(dir, 'gpus')
  initGpuState(gpuDir)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

async function smi(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(args, { env: { INFERADMIN_SIM_GPU_DIR: gpuDir }, out: (s) => void (out += s), err: (s) => void (err += s) })
  return { code, out, err }
}

const [g0, g1] = PROFILES.default!.gpus

describe('stand-in nvidia-smi (vllm-facts §5)', () => {
  it("answers the app's query in the fixture format", async () => {
    const r = await smi(
      '--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu,power.draw,power.limit,temperature.gpu',
      '--format=csv,noheader,nounits',
    )
    expect(r.code).toBe(0)
    expect(r.out).toBe(
      `0, ${g0!.uuid}, NVIDIA GeForce RTX 4090, 24564, 812, 0, 28.40, 450.00, 41\n` +
        `1, ${g1!.uuid}, NVIDIA GeForce RTX 4090, 24564, 2, 0, 11.87, 450.00, 35\n`,
    )
  })

  it("answers systeminformation's 16 fields with [N/A] where a 4090 has none, and units in header and values without nounits", async () => {
    const fields =
      'driver_version,pci.sub_device_id,name,pci.bus_id,fan.speed,memory.total,memory.used,memory.free,utilization.gpu,utilization.memory,temperature.gpu,temperature.memory,power.draw,power.limit,clocks.gr,clocks.mem'
    const r = await smi(`--query-gpu=${fields}`, '--format=csv')
    const [header, row] = r.out.split('\n')
    expect(header).toBe(
      'driver_version, pci.sub_device_id, name, pci.bus_id, fan.speed [%], memory.total [MiB], memory.used [MiB], memory.free [MiB], utilization.gpu [%], utilization.memory [%], temperature.gpu, temperature.memory, power.draw [W], power.limit [W], clocks.current.graphics [MHz], clocks.current.memory [MHz]',
    )
    expect(row!.split(', ')).toHaveLength(16)
    expect(row).toMatch(
      /^570\.124\.06, 0x167C10DE, NVIDIA GeForce RTX 4090, 00000000:01:00\.0, 30 %, 24564 MiB, 812 MiB, 23352 MiB, 0 %, 0 %, 41, \[N\/A\], 28\.40 W, 450\.00 W, \d+ MHz, \d+ MHz$/,
    )
  })

  it('counts external usage and live allocations; lists host PIDs; forgets dead processes', async () => {
    setExternalUsage(gpuDir, 0, 3000)
    const a = registerAllocation(gpuDir, {
      containerId: null,
      pid: process.pid,
      processName: 'VLLM::EngineCore',
      gpus: [{ uuid: g1!.uuid, usedMiB: 12082 }],
    })
    registerAllocation(gpuDir, { containerId: null, pid: 2 ** 22 + 1, processName: 'gone', gpus: [{ uuid: g1!.uuid, usedMiB: 999 }] })
    a.setLoad({ active: 2, waiting: 0 })
    const used = await smi('--query-gpu=memory.used,utilization.gpu', '--format=csv,noheader,nounits')
    expect(used.out).toBe('3812, 15\n12084, 92\n')
    expect((await smi('--query-compute-apps=pid,gpu_uuid,used_memory', '--format=csv,noheader,nounits')).out).toBe(
      `${process.pid}, ${g1!.uuid}, 12082\n`,
    )
    expect((await smi('--query-compute-apps=pid,used_memory', '--format=csv')).out).toBe(
      `pid, used_gpu_memory [MiB]\n${process.pid}, 12082 MiB\n`,
    )
    a.release()
    expect((await smi('--query-compute-apps=pid,gpu_uuid,used_memory', '--format=csv,noheader,nounits')).out).toBe('')
  })

  it('-L, -i and the loop', async () => {
    expect((await smi('-L')).out).toBe(
      `GPU 0: NVIDIA GeForce RTX 4090 (UUID: ${g0!.uuid})\nGPU 1: NVIDIA GeForce RTX 4090 (UUID: ${g1!.uuid})\n`,
    )
    expect((await smi('-i', g1!.uuid, '--query-gpu=index', '--format=csv,noheader')).out).toBe('1\n')
    const ac = new AbortController()
    let out = ''
    const done = main(['--query-gpu=index', '--format=csv,noheader', '-lms', '20'], {
      env: { INFERADMIN_SIM_GPU_DIR: gpuDir },
      out: (s) => {
        out += s
        if (out.split('\n').length > 6) ac.abort()
      },
      err: () => {},
      signal: ac.signal,
    })
    expect(await done).toBe(0)
    expect(out.startsWith('0\n1\n0\n1\n0\n1\n')).toBe(true)
  })

  it('reproduces the real failures and exit codes', async () => {
    setFaultState(gpuDir, 'driver-not-loaded')
    expect(await smi('-L')).toMatchObject({
      code: 9,
      out: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n",
    })
    setFaultState(gpuDir, 'mismatch')
    expect(await smi('-L')).toMatchObject({
      code: 18,
      out: expect.stringMatching(/^Failed to initialize NVML: Driver\/library version mismatch\n/),
    })
    setFaultState(gpuDir, 'no-devices')
    expect(await smi('-L')).toMatchObject({ code: 6, out: 'No devices were found\n' })
    setFaultState(gpuDir, 'gpu-lost', 1)
    const lost = await smi('--query-gpu=index,memory.used', '--format=csv,noheader,nounits')
    expect(lost.code).toBe(15)
    expect(lost.out).toBe(
      '0, 812\nUnable to determine the device handle for GPU0000:02:00.0: GPU is lost.  Reboot the system to recover this GPU\n',
    )
    setFaultState(gpuDir, 'none')
    expect(await smi('--query-gpu=bogus', '--format=csv')).toMatchObject({
      code: 2,
      out: 'Field "bogus" is not a valid field to query.\n\n',
    })
  })
})

describe('stand-in nvidia-container-runtime-hook: NVIDIA_VISIBLE_DEVICES', () => {
  it("resolves all, indexes, UUIDs and rejects unknown devices with the toolkit's message", () => {
    const s = readState(gpuDir)
    expect(resolveVisible(s, 'all')).toEqual([g0!.uuid, g1!.uuid])
    expect(resolveVisible(s, '1')).toEqual([g1!.uuid])
    expect(resolveVisible(s, `${g1!.uuid},0`)).toEqual([g1!.uuid, g0!.uuid])
    expect(resolveVisible(s, 'void')).toBeNull()
    expect(resolveVisible(s, 'none')).toEqual([])
    expect(() => resolveVisible(s, '7')).toThrow(HookError)
    expect(() => resolveVisible(s, '7')).toThrow('nvidia-container-cli: device error: 7: unknown device')
  })
})
