import type { GpuSeries } from '../../../shared/contract/gpu'
import { SeriesRing } from './ring-buffer'
import type { GpuRow } from './types'

const COLUMNS = ['memoryUsedMiB', 'utilizationPct', 'powerDrawW', 'temperatureC'] as const
type Column = (typeof COLUMNS)[number]

/** One ring per GPU (by UUID), kept even when the GPU disappears for a while. */
export class GpuHistoryStore {
  private readonly gpus = new Map<string, { index: number; name: string; ring: SeriesRing<Column> }>()

  constructor(private readonly capacity: number) {}

  push(at: number, rows: GpuRow[]): void {
    for (const row of rows) {
      let g = this.gpus.get(row.uuid)
      if (!g) {
        g = { index: row.index, name: row.name, ring: new SeriesRing(this.capacity, COLUMNS) }
        this.gpus.set(row.uuid, g)
      }
      g.index = row.index
      g.name = row.name
      g.ring.push(at, row)
    }
  }

  since(since: number): GpuSeries[] {
    return [...this.gpus.entries()]
      .map(([uuid, g]) => ({ index: g.index, uuid, name: g.name, ...g.ring.since(since) }))
      .sort((a, b) => a.index - b.index)
  }
}
