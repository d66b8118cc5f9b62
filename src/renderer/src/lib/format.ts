const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** Milliseconds for tables: 0.42, 3.1, 87, 1,204. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  if (ms === 0) return '0'
  if (ms < 10) return ms.toFixed(2)
  if (ms < 100) return ms.toFixed(1)
  return intFormat.format(ms)
}

export function formatInt(n: number): string {
  return intFormat.format(n)
}

/** A 0..1 ratio as a whole percentage. */
export function formatPercent(ratio: number): string {
  return `${Math.round(Math.max(0, Math.min(1, ratio)) * 100)}%`
}

/** Time of day of an ISO timestamp, for "updated at" labels. */
export function formatTime(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString()
}
