import si from 'systeminformation'
import type { HostInventory } from '../../../shared/contract/host'

type Static = Pick<HostInventory, 'cpu' | 'os'>

// Pseudo and container file systems are noise on a System page.
const SKIP_FS = /^(overlay|tmpfs|devtmpfs|squashfs|proc|sysfs|cgroup2?|nsfs|shm|efivarfs|ramfs|autofs)$/

/**
 * CPU, memory, OS and disks via systeminformation (async probes only; its graphics() probe runs
 * nvidia-smi synchronously and is never called here). CPU and OS are read once.
 */
export class InventoryProbe {
  private statics: Promise<Static> | undefined

  private readStatic(): Promise<Static> {
    return (this.statics ??= (async () => {
      const [cpu, os] = await Promise.all([si.cpu(), si.osInfo()])
      return {
        cpu: {
          manufacturer: cpu.manufacturer,
          brand: cpu.brand,
          cores: cpu.cores,
          physicalCores: cpu.physicalCores,
          speedGHz: Number.isFinite(cpu.speed) && cpu.speed > 0 ? cpu.speed : null,
        },
        os: { platform: os.platform, distro: os.distro, release: os.release, kernel: os.kernel, arch: os.arch, hostname: os.hostname },
      }
    })().catch((err: unknown) => {
      this.statics = undefined
      throw err
    }))
  }

  async read(): Promise<HostInventory> {
    const [stat, mem, fs] = await Promise.all([this.readStatic(), si.mem(), si.fsSize()])
    const seen = new Set<string>()
    const disks = fs
      .filter((d) => d.size > 0 && !SKIP_FS.test(d.type) && !seen.has(d.mount) && seen.add(d.mount))
      .map((d) => ({ fs: d.fs, mount: d.mount, type: d.type, sizeBytes: d.size, usedBytes: d.used, availableBytes: d.available }))
    return {
      at: new Date().toISOString(),
      ...stat,
      memory: { totalBytes: mem.total, availableBytes: mem.available, usedBytes: mem.total - mem.available, swapTotalBytes: mem.swaptotal },
      disks,
    }
  }
}
