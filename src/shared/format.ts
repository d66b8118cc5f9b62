/** Human sizes in binary units: 1.5 GiB, 320 MiB, 12 KiB, 17 B. Shared by backend messages and the UI. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = Math.abs(n)
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${n < 0 ? '-' : ''}${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`
}
