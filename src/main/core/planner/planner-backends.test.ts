import { describe, expect, it } from 'vitest'
import type { EvictionAction } from './evict'
import { plannedBackends, type InnerBackends } from './planner-backends'
import type { Admission } from './planner-service'
import { backend } from './planner-world.fixture'

const action = (kind: 'stop' | 'sleep', modelId: string): EvictionAction => ({
  kind,
  modelId,
  gpus: [0],
  freesBytesPerGpu: 1,
  hostBytes: 0,
  expectedCostSeconds: 1,
  reason: '',
  ...(kind === 'sleep' ? { level: 1 as const } : {}),
})

describe('plannedBackends: evictions', () => {
  it("a 'sleep' action is an idle stop (the park sleeps it); a 'stop' action stops for real, a sleeping model included", async () => {
    const list = [backend('a', 'ready'), backend('s', 'sleeping'), backend('t', 'sleeping'), backend('new', 'stopped')]
    const calls: string[] = []
    const inner: InnerBackends = {
      list: () => list,
      onChange: () => ({ dispose: () => undefined }),
      stop: async (id, reason) => void calls.push(`stop ${id} ${reason}`),
      start: (id: string, override?: { args?: Record<string, unknown> }) =>
        void calls.push(`start ${id} ${JSON.stringify(override?.args ?? null)}`),
    }
    const go: Admission = {
      kind: 'go',
      id: 'new',
      gpus: [0],
      gpuUuids: ['GPU-0'],
      args: { '--gpu-memory-utilization': 0.5 },
      utilization: 0.5,
      bytesPerGpu: 1,
      holdsBytesPerGpu: 0,
      // 't' is asleep already: a sleep action on it has nothing to do.
      evictions: [action('sleep', 'a'), action('stop', 's'), action('sleep', 't')],
    }
    const b = plannedBackends({
      inner,
      planner: { admit: async () => go, started: () => undefined, waitFree: async () => void calls.push('waitFree') },
      traffic: { inFlight: () => 0 },
      logger: { warn: () => undefined },
    })
    await b.start('new')
    expect(calls).toEqual(['stop a idle', 'stop s manual', 'waitFree', 'start new {"--gpu-memory-utilization":0.5}'])
  })

  it('a start the planner passes is issued with an empty override (the deploy job then does not admit it again)', async () => {
    const calls: string[] = []
    const inner: InnerBackends = {
      list: () => [backend('cpu', 'stopped')],
      onChange: () => ({ dispose: () => undefined }),
      stop: async () => undefined,
      start: (id: string, override?: object) => void calls.push(`start ${id} ${JSON.stringify(override)}`),
    }
    const b = plannedBackends({
      inner,
      planner: { admit: async () => ({ kind: 'pass', reason: 'no GPU' }), started: () => undefined, waitFree: async () => undefined },
      traffic: { inFlight: () => 0 },
      logger: { warn: () => undefined },
    })
    await b.start('cpu')
    expect(calls).toEqual(['start cpu {}'])
  })
})
