import { shallowRef, triggerRef, watch, type Ref, type ShallowRef } from 'vue'
import type { GpuHistory, GpusSnapshot } from '@shared/contract/gpu'
import { useStream } from '@/composables/useStream'
import { connection } from '@/lib/connection'
import { api } from '@/lib/rpc'

/** One point of a GPU's recent history (charts). */
export interface GpuPoint {
  t: number
  util: number | null
  power: number | null
  mem: number | null
  temp: number | null
}

export const CHART_WINDOW_SECONDS = 300

function fromHistory(h: GpuHistory): Map<string, GpuPoint[]> {
  const out = new Map<string, GpuPoint[]>()
  for (const g of h.gpus) {
    out.set(
      g.uuid,
      g.t.map((t, i) => ({
        t,
        util: g.utilizationPct[i] ?? null,
        power: g.powerDrawW[i] ?? null,
        mem: g.memoryUsedMiB[i] ?? null,
        temp: g.temperatureC[i] ?? null,
      })),
    )
  }
  return out
}

/**
 * Live GPU state: the latest snapshot (stream, latest-wins on the server) and the last few minutes
 * of each GPU for the charts (history fetched once per connection, then extended by the stream).
 */
export function useGpus(): {
  snapshot: ShallowRef<GpusSnapshot | null>
  series: ShallowRef<Map<string, GpuPoint[]>>
  error: ShallowRef<unknown>
  live: Ref<boolean>
} {
  const snapshot = shallowRef<GpusSnapshot | null>(null)
  const series = shallowRef(new Map<string, GpuPoint[]>())
  const error = shallowRef<unknown>(null)

  const append = (s: GpusSnapshot): void => {
    if (!s.at) return
    const t = Date.parse(s.at)
    const cutoff = t - CHART_WINDOW_SECONDS * 1000
    for (const g of s.gpus) {
      const points = series.value.get(g.uuid) ?? []
      const last = points.at(-1)
      if (last && last.t >= t) continue
      points.push({ t, util: g.utilizationPct, power: g.powerDrawW, mem: g.memoryUsedMiB, temp: g.temperatureC })
      while (points.length > 0 && (points[0]?.t ?? t) < cutoff) points.shift()
      series.value.set(g.uuid, points)
    }
    triggerRef(series)
  }

  watch(
    () => connection.generation,
    async (gen) => {
      if (gen === 0) return
      try {
        const [first, history] = await Promise.all([api.gpu.list(), api.gpu.history({ seconds: CHART_WINDOW_SECONDS })])
        series.value = fromHistory(history)
        if (!snapshot.value || (first.at ?? '') >= (snapshot.value.at ?? '')) snapshot.value = first
        error.value = null
      } catch (err) {
        error.value = err
      }
    },
    { immediate: true },
  )

  const { live } = useStream(
    (signal) => api.gpu.watch(undefined, { signal }),
    (s) => {
      snapshot.value = s
      error.value = null
      append(s)
    },
  )
  return { snapshot, series, error, live }
}
