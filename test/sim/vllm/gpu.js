// @ts-check
/**
 * The simulated vLLM's view of the GPUs ("CUDA"): the devices the stand-in runtime hook attached
 * (container) or NVIDIA_VISIBLE_DEVICES over INFERADMIN_SIM_GPU_DIR (a process on the host, for tests),
 * narrowed by CUDA_VISIBLE_DEVICES and renumbered from 0 (vllm-facts §7), with torch's total/free memory.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CONTAINER_GPU_DIR, CONTAINER_INFO_DIR } from '../config.js'
import { listAllocations, readState, readings, registerAllocation } from '../gpus/state.js'
import { MiB } from './memory.js'

/**
 * @typedef {object} Cuda
 * @property {string} gpuDir
 * @property {string | null} containerId
 * @property {'host' | 'trust'} verify
 * @property {import('../gpus/profiles.js').GpuSpec[]} devices  cuda:0, cuda:1, …
 */

/** @param {NodeJS.ProcessEnv} env @returns {Cuda | null} */
export function detectCuda(env) {
  let gpuDir
  let containerId = null
  /** @type {string[]} */
  let visible
  /** @type {'host' | 'trust'} */
  let verify = 'host'
  const infoFile = join(CONTAINER_INFO_DIR, 'container.json')
  if (existsSync(infoFile)) {
    const info = JSON.parse(readFileSync(infoFile, 'utf8'))
    gpuDir = CONTAINER_GPU_DIR
    containerId = info.containerId
    visible = info.visible
    verify = 'trust'
  } else if (env.INFERADMIN_SIM_GPU_DIR) {
    gpuDir = env.INFERADMIN_SIM_GPU_DIR
    const state = readState(gpuDir)
    const req = env.NVIDIA_VISIBLE_DEVICES ?? 'all'
    visible =
      req === 'all'
        ? state.profile.gpus.map((g) => g.uuid)
        : req.split(',').map((id) => state.profile.gpus.find((g) => String(g.index) === id || g.uuid === id)?.uuid ?? '')
  } else return null
  const state = readState(gpuDir)
  let devices = visible.map((u) => state.profile.gpus.find((g) => g.uuid === u)).filter((g) => g !== undefined)
  if (env.CUDA_VISIBLE_DEVICES !== undefined) {
    const pick = env.CUDA_VISIBLE_DEVICES.split(',').filter(Boolean)
    devices = pick.map((id) => devices.find((g, i) => String(i) === id || g.uuid === id)).filter((g) => g !== undefined)
  }
  return { gpuDir, containerId, verify, devices }
}

/**
 * torch.cuda.mem_get_info for one device: (free, total) in bytes.
 * @param {Cuda} cuda
 * @param {number} device
 */
export function memGetInfo(cuda, device) {
  const spec = cuda.devices[device]
  if (!spec) throw new Error(`no cuda:${device}`)
  const state = readState(cuda.gpuDir)
  const r = readings(state, listAllocations(cuda.gpuDir, { verify: cuda.verify })).find((x) => x.spec.uuid === spec.uuid)
  return {
    freeBytes: (r?.freeMiB ?? 0) * MiB,
    totalBytes: (spec.memoryTotalMiB - spec.reservedMiB) * MiB,
    fault: state.fault,
  }
}

/**
 * @param {Cuda} cuda
 * @param {number} count devices used (tensor parallel size)
 * @param {string} processName
 */
export function allocate(cuda, count, processName) {
  const devices = cuda.devices.slice(0, count)
  const handle = registerAllocation(cuda.gpuDir, {
    containerId: cuda.containerId,
    pid: process.pid,
    processName,
    gpus: devices.map((d) => ({ uuid: d.uuid, usedMiB: 0 })),
  })
  return {
    /** @param {number} bytesPerGpu */
    hold(bytesPerGpu) {
      handle.setUsage(devices.map((d) => ({ uuid: d.uuid, usedMiB: Math.ceil(bytesPerGpu / MiB) })))
    },
    setLoad: handle.setLoad,
    release: handle.release,
  }
}
