// @ts-check
/**
 * Runtime switches of the simulated GPUs, for the CLI (`npm run sim -- gpu …`) and for tests:
 * external usage (a game or notebook holding memory), fault switches, the GPU profile.
 * `not-installed` removes <sim dir>/bin/nvidia-smi, so spawning it fails with ENOENT exactly like a
 * machine without the driver (vllm-facts §5); `none` puts it back.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { SIM_ROOT, resolveSimDir, simPaths } from './config.js'
import { PROFILES, profileFromJson } from './gpus/profiles.js'
import { FAULTS, initGpuState, listAllocations, readState, readings, setExternalUsage, setFaultState } from './gpus/state.js'

export { FAULTS }

/** @param {string} p @param {string} text */
function writeExecutable(p, text) {
  writeFileSync(p, text, { mode: 0o755 })
}

/**
 * Write the executables `up` puts in place: <bin>/nvidia-smi (for the app: INFERADMIN_NVIDIA_SMI, and PATH
 * for systeminformation) and <hook-bin>/nvidia-container-runtime-hook (first on the private dockerd's PATH).
 * They are node scripts bound to this state directory.
 * @param {string} [simDir]
 */
export function installExecutables(simDir = resolveSimDir()) {
  const p = simPaths(simDir)
  mkdirSync(p.binDir, { recursive: true })
  mkdirSync(p.hookBinDir, { recursive: true })
  mkdirSync(p.containersDir, { recursive: true })
  const hook = pathToFileURL(join(SIM_ROOT, 'engine', 'hook.js')).href
  writeExecutable(
    join(p.hookBinDir, 'nvidia-container-runtime-hook'),
    `#!${process.execPath}\n// Stand-in NVIDIA container runtime hook of the InferAdmin simulation (test/sim/engine/hook.js).\n` +
      `import(${JSON.stringify(hook)}).then((m) => m.runHook(${JSON.stringify({ gpuDir: p.gpuDir, containersDir: p.containersDir })}))\n`,
  )
  if (readState(p.gpuDir).fault.kind !== 'not-installed') writeSmi(p)
  return p
}

/** @param {import('./config.js').SimPaths} p */
function writeSmi(p) {
  const smi = pathToFileURL(join(SIM_ROOT, 'gpus', 'nvidia-smi.js')).href
  writeExecutable(
    join(p.binDir, 'nvidia-smi'),
    `#!${process.execPath}\n// Stand-in nvidia-smi of the InferAdmin simulation (test/sim/gpus/nvidia-smi.js).\n` +
      `process.env.INFERADMIN_SIM_GPU_DIR = ${JSON.stringify(p.gpuDir)}\n` +
      `import(${JSON.stringify(smi)}).then((m) => m.runAsCommand())\n`,
  )
}

/**
 * Memory (MiB) and utilization (%) used on a GPU by something outside our containers. 0 clears it.
 * @param {string | number} gpu index or UUID
 * @param {number} usedMiB
 * @param {{utilPct?: number, simDir?: string}} [o]
 */
export function setExternalGpuUsage(gpu, usedMiB, o = {}) {
  return setExternalUsage(simPaths(o.simDir ?? resolveSimDir()).gpuDir, gpu, usedMiB, o.utilPct)
}

/**
 * @param {import('./gpus/state.js').FaultKind} kind
 * @param {{gpu?: string | number, simDir?: string}} [o]
 */
export function setGpuFault(kind, o = {}) {
  const p = simPaths(o.simDir ?? resolveSimDir())
  const s = setFaultState(p.gpuDir, kind, o.gpu ?? null)
  if (kind === 'not-installed') rmSync(join(p.binDir, 'nvidia-smi'), { force: true })
  else if (existsSync(p.binDir)) writeSmi(p)
  return s
}

/**
 * Replace the GPU profile: "default" (2 × RTX 4090), "h100", "h200", or a path to a JSON profile.
 * @param {string} name
 * @param {{simDir?: string}} [o]
 */
export function setGpuProfile(name, o = {}) {
  const profile = PROFILES[name] ?? profileFromJson(JSON.parse(readFileSync(name, 'utf8')))
  return initGpuState(simPaths(o.simDir ?? resolveSimDir()).gpuDir, { profile, reset: true })
}

/**
 * What the driver reports now (per GPU: used/free MiB, utilization, and the live allocations with host PIDs).
 * @param {{simDir?: string}} [o]
 */
export function gpuSnapshot(o = {}) {
  const gpuDir = simPaths(o.simDir ?? resolveSimDir()).gpuDir
  const state = readState(gpuDir)
  const allocations = listAllocations(gpuDir)
  return { state, allocations, readings: readings(state, allocations) }
}
