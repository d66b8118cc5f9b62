import { renameSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GpuHistory, GpusSnapshot } from '../../src/shared/contract/gpu'
import { type App, type SimGpus, sampleThatShowed, simGpus, startApp, waitFor } from './support'

// Telemetry against the stand-in nvidia-smi over HTTP: external use, each fault and its recovery,
// the live interval, history, /metrics. (Container attribution: attribution.test.ts in this folder.)
let sim: SimGpus
let app: App

const gpus = async (): Promise<GpusSnapshot> => (await app.get<GpusSnapshot>('/api/v1/gpus')).body

beforeAll(async () => {
  sim = simGpus()
  app = await startApp({
    env: { INFERADMIN_NVIDIA_SMI: sim.smiPath },
    gpuTuning: { backoff: { initialMs: 200, maxMs: 1000, jitter: 0 }, appsEveryMs: 500 },
  })
  await waitFor('the first GPU sample', async () => ((await gpus()).status === 'ok' ? true : undefined))
})

afterAll(async () => {
  await app?.stop()
  sim?.remove()
})

describe('GET /api/v1/gpus against the simulated workstation', () => {
  it('lists both simulated GPUs with names, memory and power', async () => {
    const s = await gpus()
    expect(s).toMatchObject({ status: 'ok', fault: null, intervalMs: 1000 })
    expect(s.gpus.map((g) => [g.index, g.name, g.memoryTotalMiB])).toEqual([
      [0, 'NVIDIA GeForce RTX 4090', 24564],
      [1, 'NVIDIA GeForce RTX 4090', 24564],
    ])
    expect(s.gpus[0]).toMatchObject({ uuid: 'GPU-5d1b9c8a-3e2f-4a6b-8c7d-0e1f2a3b4c5d', powerLimitW: 450, driverVersion: '570.124.06' })
    expect(typeof s.gpus[0]?.powerDrawW).toBe('number')
    expect(typeof s.gpus[0]?.temperatureC).toBe('number')
  })

  it('shows external use on GPU 0 as other use, and a change within two intervals', async () => {
    const before = await gpus()
    const base = before.gpus[0]?.memory.otherMiB ?? NaN
    sim.setExternal(0, 3000)
    let s = await waitFor('3000 MiB external on GPU 0', async () => {
      const x = await gpus()
      return x.gpus[0]?.memory.otherMiB === base + 3000 ? x : undefined
    })
    expect(s.gpus[0]?.memory.containers).toEqual([])
    expect(s.gpus[0]?.memoryUsedMiB).toBe(base + 3000)
    expect(s.gpus[1]?.memory.otherMiB).toBe(before.gpus[1]?.memory.otherMiB)

    const changedAt = Date.now()
    sim.setExternal(0, 5000)
    s = await waitFor('the new external amount', async () => {
      const x = await gpus()
      return x.gpus[0]?.memory.otherMiB === base + 5000 ? x : undefined
    })
    // within two intervals: the first or second sample after the change (one more when the first was read just before it)
    expect(await sampleThatShowed(app, 0, changedAt, s.gpus[0]!.memoryUsedMiB!)).toBeLessThanOrEqual(3)
    sim.setExternal(0, 0)
  })

  it('keeps an hour-capable history and validates ?seconds', async () => {
    const h = await app.get<GpuHistory>('/api/v1/gpus/history?seconds=60')
    expect(h.status).toBe(200)
    expect(h.body.gpus.map((g) => g.index)).toEqual([0, 1])
    const g0 = h.body.gpus[0]
    expect(g0?.t.length).toBeGreaterThan(0)
    expect(g0?.memoryUsedMiB.length).toBe(g0?.t.length)
    const bad = await app.get<{ message: string }>('/api/v1/gpus/history?seconds=0')
    expect(bad.status).toBe(400)
    expect(bad.body.message).toMatch(/seconds/)
  })

  it('serves Prometheus text at /metrics behind the token', async () => {
    const m = await app.text('/metrics')
    expect(m.status).toBe(200)
    expect(m.type).toMatch(/text\/plain/)
    expect(m.text).toMatch(
      /inferadmin_gpu_memory_total_bytes\{gpu="0",uuid="GPU-5d1b9c8a-3e2f-4a6b-8c7d-0e1f2a3b4c5d",name="NVIDIA GeForce RTX 4090"\} 25757220864/,
    )
    expect(m.text).toMatch(/inferadmin_gpu_telemetry_up\{reason=""\} 1/)
    expect((await fetch(`${app.server.url}/metrics`)).status).toBe(401)
  })
})

describe('faults of the stand-in nvidia-smi', () => {
  const cases: {
    fault: 'driver-not-loaded' | 'mismatch' | 'gpu-lost' | 'no-devices' | 'not-installed'
    kind: string
    message: RegExp
    fix: RegExp
    status: string
  }[] = [
    {
      fault: 'driver-not-loaded',
      kind: 'driver-not-loaded',
      message: /couldn't communicate with the NVIDIA driver/,
      fix: /modprobe nvidia/,
      status: 'fault',
    },
    { fault: 'mismatch', kind: 'driver-mismatch', message: /Driver\/library version mismatch/, fix: /reboot/i, status: 'fault' },
    { fault: 'gpu-lost', kind: 'gpu-lost', message: /GPU is lost/, fix: /dmesg/, status: 'degraded' },
    { fault: 'no-devices', kind: 'no-gpu', message: /No devices were found/, fix: /lspci/, status: 'fault' },
    {
      fault: 'not-installed',
      kind: 'nvidia-smi-missing',
      message: /nvidia-smi: command not found/,
      fix: /INFERADMIN_NVIDIA_SMI/,
      status: 'fault',
    },
  ]
  for (const c of cases) {
    it(`${c.fault}: its own reason and fix, no zeros, and telemetry comes back when it clears`, async () => {
      sim.setFault(c.fault, c.fault === 'gpu-lost' ? 1 : undefined)
      const s = await waitFor(
        `fault ${c.kind}`,
        async () => {
          const x = await gpus()
          return x.fault?.kind === c.kind ? x : undefined
        },
        15_000,
      )
      expect(s.status).toBe(c.status)
      expect(s.fault?.message).toMatch(c.message)
      expect(s.fault?.fix).toMatch(c.fix)
      // the reason instead of zeros: no GPU rows (or only the ones still answering)
      expect(s.gpus.map((g) => g.index)).toEqual(c.fault === 'gpu-lost' ? [0] : [])
      sim.setFault('none')
      const back = await waitFor(
        'telemetry back',
        async () => {
          const x = await gpus()
          return x.status === 'ok' && x.gpus.length === 2 ? x : undefined
        },
        15_000,
      )
      expect(back.fault).toBeNull()
    })
  }

  it('a missing executable (spawn ENOENT) is reported and recovers when it reappears', async () => {
    const hidden = `${sim.smiPath}.away`
    renameSync(sim.smiPath, hidden)
    try {
      const s = await waitFor(
        'nvidia-smi missing',
        async () => {
          const x = await gpus()
          return x.fault?.kind === 'nvidia-smi-missing' ? x : undefined
        },
        15_000,
      )
      expect(s.fault?.message).toBe(`nvidia-smi was not found at ${sim.smiPath}.`)
    } finally {
      renameSync(hidden, sim.smiPath)
    }
    await waitFor('telemetry back', async () => ((await gpus()).status === 'ok' ? true : undefined), 15_000)
  })
})

describe('the snapshot stream', () => {
  it('gives a consumer that stopped reading the newest snapshot, not a backlog', async () => {
    const ac = new AbortController()
    const it = app.core.gpu.watch(ac.signal)
    const first = (await it.next()).value as GpusSnapshot
    // don't read for three samples
    await waitFor(
      'three newer samples',
      async () => {
        const s = await gpus()
        return s.at && first.at && Date.parse(s.at) - Date.parse(first.at) >= 3 * s.intervalMs - 100 ? true : undefined
      },
      10_000,
    )
    const next = (await it.next()).value as GpusSnapshot
    const latest = await gpus()
    expect(Date.parse(next.at ?? '')).toBeGreaterThanOrEqual(Date.parse(latest.at ?? '') - latest.intervalMs)
    expect(Date.parse(next.at ?? '') - Date.parse(first.at ?? '')).toBeGreaterThanOrEqual(3 * latest.intervalMs - 100)
    ac.abort()
    expect((await it.next()).done).toBe(true)
  })
})

describe('refresh interval', () => {
  it('changing Settings.gpuRefreshMs changes the sample spacing without a restart', async () => {
    const spacing = async (sinceMs: number): Promise<number> => {
      const h = (await app.get<GpuHistory>('/api/v1/gpus/history?seconds=30')).body
      const t = (h.gpus[0]?.t ?? []).filter((x) => x >= sinceMs)
      const gaps = t
        .slice(1)
        .map((x, i) => x - (t[i] ?? x))
        .sort((a, b) => a - b)
      return gaps[Math.floor(gaps.length / 2)] ?? NaN
    }
    const put = await app.send<{ settings: { gpuRefreshMs: number } }>('PUT', '/api/v1/settings', { gpuRefreshMs: 250 })
    expect(put.status).toBe(200)
    const changed = Date.now()
    await waitFor('interval 250 ms in the snapshot', async () => ((await gpus()).intervalMs === 250 ? true : undefined))
    await waitFor('8 samples at the new interval', async () => {
      const h = (await app.get<GpuHistory>('/api/v1/gpus/history?seconds=30')).body
      return (h.gpus[0]?.t.filter((x) => x >= changed + 600).length ?? 0) >= 8 ? true : undefined
    })
    const fast = await spacing(changed + 600)
    // the median gap follows the setting; generous bounds, since a loaded CI machine delays single samples
    expect(fast).toBeGreaterThan(150)
    expect(fast).toBeLessThan(500)

    await app.send('PUT', '/api/v1/settings', { gpuRefreshMs: 1000 })
    const slowed = Date.now()
    await waitFor(
      '4 samples at 1000 ms',
      async () => {
        const h = (await app.get<GpuHistory>('/api/v1/gpus/history?seconds=30')).body
        return (h.gpus[0]?.t.filter((x) => x >= slowed + 1200).length ?? 0) >= 4 ? true : undefined
      },
      15_000,
    )
    const slow = await spacing(slowed + 1200)
    expect(slow).toBeGreaterThan(700)
    expect(slow).toBeLessThan(1500)
    expect(slow).toBeGreaterThan(2 * fast)
  })
})
