import { describe, expect, it } from 'vitest'
import { classifyFault, isFaultLine, loopArgs, parseComputeApps, parseGpuLine } from './nvsmi.js'

// Fixture lines from shared/reference/vllm-facts.md §5 (2x RTX 4090 desktop), extended by the two
// fields our loop query adds (memory.free, driver_version).
const RTX0 = '0, GPU-5d1b9c8a-3e2f-4a6b-8c7d-0e1f2a3b4c5d, NVIDIA GeForce RTX 4090, 24564, 812, 23360, 3, 28.40, 450.00, 41, 570.124.06'
const RTX1 = '1, GPU-c0ffee00-1111-2222-3333-444455556666, NVIDIA GeForce RTX 4090, 24564, 2, 24162, 0, 11.87, 450.00, 35, 570.124.06'
const H100_LOAD =
  '0, GPU-8f3c1d2e-5b7a-4c1e-9f0a-1d2e3f4a5b6c, NVIDIA H100 80GB HBM3, 81559, 73105, 8016, 97, 612.45, 700.00, 58, 570.124.06'

describe('nvidia-smi loop query', () => {
  it('asks for the fields in the order the parser reads them, with -lms', () => {
    expect(loopArgs(1000)).toEqual([
      '--query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,power.draw,power.limit,temperature.gpu,driver_version',
      '--format=csv,noheader,nounits',
      '-lms',
      '1000',
    ])
  })

  it('parses the RTX 4090 fixture rows', () => {
    expect(parseGpuLine(RTX0)).toEqual({
      index: 0,
      uuid: 'GPU-5d1b9c8a-3e2f-4a6b-8c7d-0e1f2a3b4c5d',
      name: 'NVIDIA GeForce RTX 4090',
      memoryTotalMiB: 24564,
      memoryUsedMiB: 812,
      memoryFreeMiB: 23360,
      utilizationPct: 3,
      powerDrawW: 28.4,
      powerLimitW: 450,
      temperatureC: 41,
      driverVersion: '570.124.06',
    })
    expect(parseGpuLine(RTX1)?.powerDrawW).toBe(11.87)
    expect(parseGpuLine(H100_LOAD)).toMatchObject({
      name: 'NVIDIA H100 80GB HBM3',
      memoryUsedMiB: 73105,
      utilizationPct: 97,
      powerDrawW: 612.45,
      powerLimitW: 700,
    })
  })

  it('turns [N/A] and [Not Supported] into null, never 0', () => {
    const row = parseGpuLine(
      '0, GPU-2a7e0000-0000-4000-8000-000000000000, NVIDIA GeForce RTX 3050 Laptop GPU, 4096, 5, 4091, [Not Supported], [N/A], [N/A], 45, 550.54.14',
    )
    expect(row).toMatchObject({ utilizationPct: null, powerDrawW: null, powerLimitW: null, temperatureC: 45 })
  })

  it('rejects what is not a row: error text, headers, wrong field count', () => {
    expect(
      parseGpuLine('Unable to determine the device handle for GPU0000:02:00.0: GPU is lost.  Reboot the system to recover this GPU'),
    ).toBeNull()
    expect(
      parseGpuLine(
        'index, uuid, name, memory.total [MiB], memory.used [MiB], memory.free [MiB], utilization.gpu [%], power.draw [W], power.limit [W], temperature.gpu, driver_version',
      ),
    ).toBeNull()
    expect(parseGpuLine('0, GPU-5d1b9c8a, NVIDIA GeForce RTX 4090, 24564, 812, 3, 28.40, 450.00, 41')).toBeNull()
    expect(parseGpuLine('')).toBeNull()
  })
})

describe('compute apps', () => {
  it('parses the fixture and skips blank output', () => {
    const text = '41823, GPU-8f3c1d2e-5b7a-4c1e-9f0a-1d2e3f4a5b6c, 72578\n41990, GPU-8f3c1d2e-5b7a-4c1e-9f0a-1d2e3f4a5b6c, 512\n'
    expect(parseComputeApps(text)).toEqual([
      { pid: 41823, gpuUuid: 'GPU-8f3c1d2e-5b7a-4c1e-9f0a-1d2e3f4a5b6c', usedMiB: 72578 },
      { pid: 41990, gpuUuid: 'GPU-8f3c1d2e-5b7a-4c1e-9f0a-1d2e3f4a5b6c', usedMiB: 512 },
    ])
    expect(parseComputeApps('')).toEqual([])
    expect(parseComputeApps('pid, gpu_uuid, used_gpu_memory [MiB]\n')).toEqual([])
  })
})

describe('fault classification', () => {
  const path = '/usr/bin/nvidia-smi'
  it('gives each real failure its own kind, the driver words and a fix', () => {
    const notLoaded = classifyFault({
      output:
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n",
      exitCode: 9,
      path,
    })
    expect(notLoaded.kind).toBe('driver-not-loaded')
    expect(notLoaded.message).toContain("couldn't communicate with the NVIDIA driver")
    expect(notLoaded.fix).toMatch(/modprobe nvidia/)

    const mismatch = classifyFault({
      output: 'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 570.133\n',
      exitCode: 18,
      path,
    })
    expect(mismatch).toMatchObject({
      kind: 'driver-mismatch',
      message: 'Failed to initialize NVML: Driver/library version mismatch NVML library version: 570.133',
    })
    expect(mismatch.fix).toMatch(/reboot/i)

    const lost = classifyFault({
      output: 'Unable to determine the device handle for GPU0000:02:00.0: GPU is lost.  Reboot the system to recover this GPU',
      exitCode: 15,
      path,
    })
    expect(lost.kind).toBe('gpu-lost')
    expect(lost.message).toContain('GPU is lost')

    expect(classifyFault({ output: 'No devices were found\n', exitCode: 6, path }).kind).toBe('no-gpu')
  })

  it('reports a missing executable (spawn ENOENT, or a shell saying 127)', () => {
    const missing = classifyFault({ output: '', exitCode: null, spawnError: 'ENOENT', path })
    expect(missing).toMatchObject({ kind: 'nvidia-smi-missing', message: `nvidia-smi was not found at ${path}.` })
    expect(classifyFault({ output: '', exitCode: null, spawnError: 'ENOENT', path: 'nvidia-smi' }).message).toBe(
      'nvidia-smi was not found on PATH.',
    )
    expect(missing.fix).toMatch(/INFERADMIN_NVIDIA_SMI/)
    expect(classifyFault({ output: 'nvidia-smi: command not found\n', exitCode: 127, path })).toMatchObject({
      kind: 'nvidia-smi-missing',
      message: 'nvidia-smi: command not found',
    })
  })

  it('falls back to the exit code, then to a generic failure that names the code', () => {
    expect(classifyFault({ output: '', exitCode: 9, path }).kind).toBe('driver-not-loaded')
    const other = classifyFault({ output: 'Segmentation fault', exitCode: 139, path })
    expect(other).toMatchObject({ kind: 'nvidia-smi-failed', exitCode: 139 })
    expect(other.message).toContain('code 139')
  })

  it('recognises fault lines printed in loop mode', () => {
    expect(isFaultLine('Unable to determine the device handle for GPU0000:02:00.0: GPU is lost.')).toBe(true)
    expect(isFaultLine('0, GPU-1, x, 1, 1, 1, 1, 1, 1, 1, 1')).toBe(false)
  })
})
