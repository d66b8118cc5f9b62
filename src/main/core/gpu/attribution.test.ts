import { describe, expect, it } from 'vitest'
import { attribute, type ContainerRef } from './attribution'
import type { GpuRow } from './types'

const GPU0 = 'GPU-5d1b9c8a-3e2f-4a6b-8c7d-0e1f2a3b4c5d'
const GPU1 = 'GPU-c0ffee00-1111-2222-3333-444455556666'
const row = (index: number, uuid: string, used: number): GpuRow => ({
  index,
  uuid,
  name: 'NVIDIA GeForce RTX 4090',
  memoryTotalMiB: 24564,
  memoryUsedMiB: used,
  memoryFreeMiB: 24564 - 400 - used,
  utilizationPct: 0,
  powerDrawW: 20,
  powerLimitW: 450,
  temperatureC: 40,
  driverVersion: '570.124.06',
})
const vllm: ContainerRef = {
  id: 'a'.repeat(64),
  name: 'inferadmin-qwen',
  labels: { 'inferadmin.deployment': 'dep-1', 'inferadmin.managed': 'true' },
}

describe('attribute', () => {
  it('puts container processes on their GPU, the rest of memory.used in other, and keeps free', () => {
    const apps = {
      at: 1_700_000_000_000,
      list: [
        { pid: 100, gpuUuid: GPU1, usedMiB: 20_000 },
        { pid: 101, gpuUuid: GPU1, usedMiB: 500 },
        { pid: 555, gpuUuid: GPU0, usedMiB: 3000 },
      ],
    }
    const owners = new Map([
      [100, vllm],
      [101, vllm],
    ])
    const [g0, g1] = attribute([row(0, GPU0, 812 + 3000), row(1, GPU1, 2 + 20_500)], apps, owners)
    expect(g1?.memory.containers).toEqual([
      {
        containerId: vllm.id,
        containerName: 'inferadmin-qwen',
        deploymentId: 'dep-1',
        labels: vllm.labels,
        pids: [100, 101],
        usedMiB: 20_500,
      },
    ])
    expect(g1?.memory.otherMiB).toBe(2)
    expect(g0?.memory.containers).toEqual([])
    expect(g0?.memory).toMatchObject({
      otherMiB: 3812,
      otherProcesses: [{ pid: 555, usedMiB: 3000 }],
      freeMiB: 24564 - 400 - 3812,
      reservedMiB: 400,
      appsAt: new Date(apps.at).toISOString(),
    })
  })

  it('works before the first compute-apps query (everything used is other)', () => {
    const [g] = attribute([row(0, GPU0, 812)], null, new Map())
    expect(g?.memory).toMatchObject({ containers: [], otherMiB: 812, appsAt: null })
  })

  it('never lets stale container numbers exceed memory.used', () => {
    const [g] = attribute([row(1, GPU1, 1000)], { at: 0, list: [{ pid: 100, gpuUuid: GPU1, usedMiB: 20_000 }] }, new Map([[100, vllm]]))
    expect(g?.memory.otherMiB).toBe(0)
    expect(g?.memory.containers[0]?.usedMiB).toBe(20_000)
  })

  it('labels containers that are not ours with a null deployment', () => {
    const other: ContainerRef = { id: 'b'.repeat(64), name: 'comfyui', labels: {} }
    const [g] = attribute([row(0, GPU0, 5000)], { at: 0, list: [{ pid: 7, gpuUuid: GPU0, usedMiB: 4000 }] }, new Map([[7, other]]))
    expect(g?.memory.containers[0]).toMatchObject({ containerName: 'comfyui', deploymentId: null, usedMiB: 4000 })
    expect(g?.memory.otherMiB).toBe(1000)
  })
})
