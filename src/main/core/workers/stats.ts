import type { PoolStats } from '../../../shared/contract/system'

type Dist = PoolStats['runMs']

/** Rolling timing samples (last N) with mean/p50/p99/max. */
export class TimingWindow {
  private readonly samples: number[] = []
  private next = 0
  constructor(private readonly size = 1024) {}

  add(ms: number): void {
    if (this.samples.length < this.size) this.samples.push(ms)
    else this.samples[this.next] = ms
    this.next = (this.next + 1) % this.size
  }

  summary(): Dist {
    if (this.samples.length === 0) return { mean: 0, p50: 0, p99: 0, max: 0 }
    const sorted = [...this.samples].sort((a, b) => a - b)
    const pick = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length
    return { mean: round(mean), p50: round(pick(0.5)), p99: round(pick(0.99)), max: round(sorted[sorted.length - 1] ?? 0) }
  }
}

const round = (n: number): number => Math.round(n * 100) / 100

/** Counters shared by both pool kinds. */
export class PoolCounters {
  active = 0
  queued = 0
  completed = 0
  failed = 0
  readonly run = new TimingWindow()
  readonly wait = new TimingWindow()

  snapshot(name: string, kind: 'cpu' | 'io', size: number): PoolStats {
    return {
      name,
      kind,
      size,
      active: this.active,
      queued: this.queued,
      completed: this.completed,
      failed: this.failed,
      load: size > 0 ? round(Math.min(1, this.active / size)) : 0,
      runMs: this.run.summary(),
      waitMs: this.wait.summary(),
    }
  }
}
