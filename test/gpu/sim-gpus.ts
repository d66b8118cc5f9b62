import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
// The simulated GPUs (test/sim, plain JS): a state directory + a launcher for the stand-in nvidia-smi.
import { initGpuState, setExternalUsage, setFaultState } from '../sim/gpus/state.js'

export const repoRoot = resolve(import.meta.dirname, '../..')
const STAND_IN = join(repoRoot, 'test/sim/gpus/nvidia-smi.js')

export type SimFault = Parameters<typeof setFaultState>[1]

export interface SimGpus {
  dir: string
  gpuDir: string
  /** Executable to put in INFERADMIN_NVIDIA_SMI (runs the stand-in on this state directory). */
  smiPath: string
  setExternal(gpu: number, mib: number): void
  setFault(kind: SimFault, gpu?: number): void
  remove(): void
}

/** A fresh simulated GPU state (default profile: 2 × RTX 4090) and a launcher for the stand-in nvidia-smi. */
export function simGpus(): SimGpus {
  const dir = mkdtempSync(join(tmpdir(), 'inferadmin-gpu-'))
  const gpuDir = join(dir, 'gpus')
  initGpuState(gpuDir)
  mkdirSync(join(dir, 'bin'))
  const smiPath = join(dir, 'bin', 'nvidia-smi')
  writeFileSync(smiPath, `#!/bin/sh\nINFERADMIN_SIM_GPU_DIR='${gpuDir}' exec '${process.execPath}' '${STAND_IN}' "$@"\n`)
  chmodSync(smiPath, 0o755)
  return {
    dir,
    gpuDir,
    smiPath,
    setExternal: (gpu, mib) => void setExternalUsage(gpuDir, gpu, mib),
    setFault: (kind, gpu) => void setFaultState(gpuDir, kind, gpu ?? null),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
