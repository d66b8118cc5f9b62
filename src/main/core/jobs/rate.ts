/** Transfer rate over a sliding window of (time, bytes) samples, and the ETA it implies. */
export class RateMeter {
  private samples: { t: number; bytes: number }[] = []

  constructor(private readonly windowMs = 5000) {}

  add(bytes: number, t = Date.now()): void {
    this.samples.push({ t, bytes })
    while (this.samples.length > 2 && t - (this.samples[0]?.t ?? t) > this.windowMs) this.samples.shift()
  }

  reset(): void {
    this.samples = []
  }

  /** Bytes per second; 0 until two samples exist. */
  rate(): number {
    if (this.samples.length < 2) return 0
    const a = this.samples[0]
    const b = this.samples[this.samples.length - 1]
    if (!a || !b) return 0
    const dt = (b.t - a.t) / 1000
    return dt > 0 ? Math.max(0, (b.bytes - a.bytes) / dt) : 0
  }

  eta(done: number, total: number): number | null {
    const r = this.rate()
    if (total <= 0 || r <= 0) return null
    return Math.max(0, Math.round((total - done) / r))
  }
}
