/**
 * Fixed-capacity time series: one Float64Array per column, null stored as NaN. Pushing never
 * allocates; the oldest sample is overwritten when full.
 */
export class SeriesRing<C extends string> {
  private readonly t: Float64Array
  private readonly cols: Record<C, Float64Array>
  private head = 0
  private count = 0

  constructor(
    readonly capacity: number,
    private readonly columns: readonly C[],
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be a positive integer (got ${capacity})`)
    this.t = new Float64Array(capacity)
    this.cols = Object.fromEntries(columns.map((c) => [c, new Float64Array(capacity)])) as Record<C, Float64Array>
  }

  get size(): number {
    return this.count
  }

  push(t: number, values: Record<C, number | null>): void {
    this.t[this.head] = t
    for (const c of this.columns) this.cols[c][this.head] = values[c] ?? Number.NaN
    this.head = (this.head + 1) % this.capacity
    if (this.count < this.capacity) this.count++
  }

  /** Samples with t ≥ since, oldest first, column-wise. */
  since(since: number): { t: number[] } & Record<C, (number | null)[]> {
    const out = { t: [] as number[] } as { t: number[] } & Record<C, (number | null)[]>
    for (const c of this.columns) (out as Record<C, (number | null)[]>)[c] = []
    const start = (this.head - this.count + this.capacity) % this.capacity
    for (let i = 0; i < this.count; i++) {
      const k = (start + i) % this.capacity
      const t = this.t[k] ?? 0
      if (t < since) continue
      out.t.push(t)
      for (const c of this.columns) {
        const v = this.cols[c][k] ?? Number.NaN
        ;(out as Record<C, (number | null)[]>)[c].push(Number.isNaN(v) ? null : v)
      }
    }
    return out
  }
}
