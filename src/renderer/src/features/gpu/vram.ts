import type { GpuState } from '@shared/contract/gpu'

export interface VramSegment {
  key: string
  kind: 'container' | 'other' | 'reserved' | 'free'
  label: string
  /** Extra line for the tooltip (container id, processes). */
  title: string
  mib: number
  /** Width in percent of memory.total. */
  pct: number
  class: string
}

const CONTAINER_COLORS = ['bg-sky-500', 'bg-violet-500', 'bg-emerald-500', 'bg-amber-500', 'bg-rose-500', 'bg-teal-500']

/** The stacked VRAM bar of one GPU: each deployment/container, other use, reserved, free. */
export function vramSegments(gpu: GpuState): VramSegment[] {
  const total = gpu.memoryTotalMiB ?? 0
  const pct = (mib: number): number => (total > 0 ? (mib / total) * 100 : 0)
  const segs: VramSegment[] = gpu.memory.containers.map((c, i) => ({
    key: `c:${c.containerId}`,
    kind: 'container',
    label: c.deploymentId ? (c.labels['inferadmin.deployment.name'] ?? c.deploymentId) : c.containerName,
    title: `container ${c.containerName} (${c.containerId.slice(0, 12)}), PIDs ${c.pids.join(', ')}`,
    mib: c.usedMiB,
    pct: pct(c.usedMiB),
    class: CONTAINER_COLORS[i % CONTAINER_COLORS.length] ?? 'bg-sky-500',
  }))
  const others = gpu.memory.otherProcesses
  segs.push({
    key: 'other',
    kind: 'other',
    label: 'Other',
    title: others.length
      ? `processes outside our containers: ${others.map((p) => `PID ${p.pid} ${p.usedMiB} MiB`).join(', ')}; plus display/driver use`
      : 'display, driver and processes outside containers',
    mib: gpu.memory.otherMiB,
    pct: pct(gpu.memory.otherMiB),
    class: 'bg-slate-400 dark:bg-slate-500',
  })
  if (gpu.memory.reservedMiB > 0) {
    segs.push({
      key: 'reserved',
      kind: 'reserved',
      label: 'Reserved',
      title: 'reserved by the driver',
      mib: gpu.memory.reservedMiB,
      pct: pct(gpu.memory.reservedMiB),
      class: 'bg-slate-300 dark:bg-slate-700',
    })
  }
  segs.push({
    key: 'free',
    kind: 'free',
    label: 'Free',
    title: 'free',
    mib: gpu.memory.freeMiB,
    pct: pct(gpu.memory.freeMiB),
    class: 'bg-muted',
  })
  return segs
}

const mibFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
export function formatMiB(mib: number | null): string {
  return mib === null ? '—' : `${mibFormat.format(mib)} MiB`
}
