import { Gauge, Registry } from 'prom-client'
import type { GpusSnapshot } from '../../../shared/contract/gpu'

const MIB = 1024 * 1024

/**
 * Prometheus registry with GPU gauges, filled from the latest snapshot at scrape time
 * (no timers; a scrape costs one snapshot read).
 */
export function createGpuMetrics(snapshot: () => GpusSnapshot, registry = new Registry()): Registry {
  const gpuLabels = ['gpu', 'uuid', 'name'] as const
  const gauge = (name: string, help: string, pick: (g: GpusSnapshot['gpus'][number]) => number | null, scale = 1): void => {
    new Gauge({
      name,
      help,
      labelNames: gpuLabels,
      registers: [registry],
      collect() {
        this.reset()
        for (const g of snapshot().gpus) {
          const v = pick(g)
          if (v !== null) this.set({ gpu: String(g.index), uuid: g.uuid, name: g.name }, v * scale)
        }
      },
    })
  }
  gauge('inferadmin_gpu_memory_total_bytes', 'GPU memory total (nvidia-smi memory.total).', (g) => g.memoryTotalMiB, MIB)
  gauge('inferadmin_gpu_memory_used_bytes', 'GPU memory used (nvidia-smi memory.used).', (g) => g.memoryUsedMiB, MIB)
  gauge('inferadmin_gpu_memory_free_bytes', 'GPU memory free (nvidia-smi memory.free).', (g) => g.memoryFreeMiB, MIB)
  gauge('inferadmin_gpu_memory_other_bytes', 'GPU memory used outside known containers.', (g) => g.memory.otherMiB, MIB)
  gauge('inferadmin_gpu_utilization_ratio', 'GPU utilization, 0..1.', (g) => (g.utilizationPct === null ? null : g.utilizationPct / 100))
  gauge('inferadmin_gpu_power_draw_watts', 'GPU power draw.', (g) => g.powerDrawW)
  gauge('inferadmin_gpu_power_limit_watts', 'GPU power limit.', (g) => g.powerLimitW)
  gauge('inferadmin_gpu_temperature_celsius', 'GPU temperature.', (g) => g.temperatureC)

  new Gauge({
    name: 'inferadmin_gpu_container_memory_bytes',
    help: 'GPU memory held by each container (compute apps mapped to containers).',
    labelNames: ['gpu', 'uuid', 'container_id', 'container_name', 'deployment'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const g of snapshot().gpus) {
        for (const c of g.memory.containers) {
          this.set(
            {
              gpu: String(g.index),
              uuid: g.uuid,
              container_id: c.containerId.slice(0, 12),
              container_name: c.containerName,
              deployment: c.deploymentId ?? '',
            },
            c.usedMiB * MIB,
          )
        }
      }
    },
  })
  new Gauge({
    name: 'inferadmin_gpu_telemetry_up',
    help: '1 when nvidia-smi delivers samples, 0 during a fault (label reason).',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset()
      const s = snapshot()
      this.set({ reason: s.fault?.kind ?? '' }, s.status === 'ok' ? 1 : 0)
    },
  })
  return registry
}
