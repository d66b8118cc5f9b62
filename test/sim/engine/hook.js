// @ts-check
/**
 * Stand-in `nvidia-container-runtime-hook`. dockerd registers its "nvidia" device driver only when this
 * name is on its PATH, and adds it as an OCI prestart hook to every container with a GPU DeviceRequest,
 * after putting NVIDIA_VISIBLE_DEVICES (device ids or "all") into the container's environment
 * (vllm-facts §7). runc runs prestart hooks after the container's mounts are set up and before
 * pivot_root, with the container state ({id, pid, bundle}) on stdin — the moment the real toolkit
 * (`nvidia-container-cli configure --pid=…`) mounts the driver into the container.
 *
 * Like the real one, this hook checks the driver and the requested devices (failing with the toolkit's
 * messages), then "mounts the driver": the simulated GPU state at /run/inferadmin-sim-gpus, a per-container
 * info directory at /run/inferadmin-sim (container id, attached GPU UUIDs) and an `nvidia-smi` at
 * /usr/bin/nvidia-smi. It also forgets allocations of processes that are gone, so a new container never
 * counts memory of a killed one.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { CONTAINER_GPU_DIR, CONTAINER_INFO_DIR, SIM_ROOT } from '../config.js'
import { isAlive } from '../gpus/procs.js'
import { listAllocations, readState } from '../gpus/state.js'

/** @typedef {import('../gpus/state.js').GpuState} GpuState */

export class HookError extends Error {}

/**
 * Parse NVIDIA_VISIBLE_DEVICES against the simulated GPUs (indexes, UUIDs or PCI bus ids, "all", "none", "void").
 * @param {GpuState} state
 * @param {string | undefined} value
 * @returns {string[] | null} UUIDs, or null when no GPU was requested ("void" / unset)
 */
export function resolveVisible(state, value) {
  if (value === undefined || value === '' || value === 'void') return null
  if (value === 'none') return []
  const gpus = state.profile.gpus
  if (value === 'all') return gpus.map((g) => g.uuid)
  return value.split(',').map((raw) => {
    const id = raw.trim()
    const g = gpus.find(
      (x) => String(x.index) === id || x.uuid === id || (id.startsWith('GPU-') && x.uuid.startsWith(id)) || x.busId.endsWith(id),
    )
    if (!g) throw new HookError(`nvidia-container-cli: device error: ${id}: unknown device`)
    return g.uuid
  })
}

/** @param {GpuState} state @param {string[]} visible */
function checkDriver(state, visible) {
  switch (state.fault.kind) {
    case 'not-installed':
      throw new HookError(
        'nvidia-container-cli: initialization error: load library failed: libnvidia-ml.so.1: cannot open shared object file: no such file or directory',
      )
    case 'driver-not-loaded':
      throw new HookError('nvidia-container-cli: initialization error: nvml error: driver not loaded')
    case 'mismatch':
      throw new HookError('nvidia-container-cli: initialization error: nvml error: driver/library version mismatch')
    case 'no-devices':
      if (visible.length) throw new HookError(`nvidia-container-cli: device error: ${visible[0]}: unknown device`)
      break
    case 'gpu-lost':
      if (state.fault.gpu && visible.includes(state.fault.gpu))
        throw new HookError('nvidia-container-cli: detection error: nvml error: gpu is lost')
      break
    default:
  }
}

/** Last value of a variable in an OCI env list (dockerd appends its NVIDIA_VISIBLE_DEVICES after the image's). */
/** @param {string[]} env @param {string} name */
function lastEnv(env, name) {
  let v
  for (const e of env) if (e.startsWith(`${name}=`)) v = e.slice(name.length + 1)
  return v
}

/** @param {string} containersDir */
function collectGarbage(containersDir) {
  for (const id of existsSync(containersDir) ? readdirSync(containersDir) : []) {
    try {
      const info = JSON.parse(readFileSync(join(containersDir, id, 'container.json'), 'utf8'))
      if (!isAlive(info.hostInitPid)) rmSync(join(containersDir, id), { recursive: true, force: true })
    } catch {
      rmSync(join(containersDir, id), { recursive: true, force: true })
    }
  }
}

/**
 * @param {{id: string, pid: number, bundle: string}} st OCI state from stdin
 * @param {{gpuDir: string, containersDir: string, node?: string}} dirs
 */
export function prestart(st, dirs) {
  const config = JSON.parse(readFileSync(join(st.bundle, 'config.json'), 'utf8'))
  const rootPath = /** @type {string} */ (config.root?.path ?? 'rootfs')
  const rootfs = isAbsolute(rootPath) ? rootPath : join(st.bundle, rootPath)
  const state = readState(dirs.gpuDir)
  const visible = resolveVisible(state, lastEnv(config.process?.env ?? [], 'NVIDIA_VISIBLE_DEVICES'))
  if (visible === null) return
  checkDriver(state, visible)
  listAllocations(dirs.gpuDir, { gc: true })
  collectGarbage(dirs.containersDir)

  const own = join(dirs.containersDir, st.id)
  mkdirSync(join(own, 'sim'), { recursive: true })
  writeFileSync(
    join(own, 'container.json'),
    JSON.stringify({ containerId: st.id, hostInitPid: st.pid, visible, createdAt: new Date().toISOString() }, null, 2),
  )
  writeFileSync(
    join(own, 'nvidia-smi'),
    `#!/usr/local/bin/node\nimport('${CONTAINER_INFO_DIR}/sim/gpus/nvidia-smi.js').then((m) => m.runAsCommand())\n`,
    { mode: 0o755 },
  )

  /** @type {[string, string, 'dir' | 'file', boolean][]} */
  const mounts = [
    [dirs.gpuDir, CONTAINER_GPU_DIR, 'dir', false],
    [own, CONTAINER_INFO_DIR, 'dir', false],
    [SIM_ROOT, `${CONTAINER_INFO_DIR}/sim`, 'dir', true],
    [join(own, 'nvidia-smi'), '/usr/bin/nvidia-smi', 'file', true],
  ]
  for (const [src, dst, kind, readOnly] of mounts) {
    const target = join(rootfs, dst)
    try {
      if (kind === 'dir') mkdirSync(target, { recursive: true })
      else if (!existsSync(target)) {
        mkdirSync(join(target, '..'), { recursive: true })
        writeFileSync(target, '')
      }
    } catch {
      // read-only root file system: only mount points that already exist in the image can be used
    }
    const opts = readOnly ? ['-o', 'ro'] : []
    execFileSync('nsenter', [`--target=${st.pid}`, '--mount', '--', 'mount', '--bind', ...opts, src, target], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
  }
}

/**
 * Entry point used by the generated wrapper on dockerd's PATH.
 * @param {{gpuDir: string, containersDir: string}} dirs
 */
export async function runHook(dirs) {
  const verb = process.argv[2]
  if (verb !== 'prestart') return // poststart/poststop: nothing to do, like the real hook
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  try {
    prestart(JSON.parse(Buffer.concat(chunks).toString('utf8')), dirs)
  } catch (e) {
    const msg = e instanceof HookError ? e.message : `nvidia-container-cli: mount error: ${/** @type {Error} */ (e).message}`
    process.stderr.write(`${msg}\n`)
    process.exitCode = 1
  }
}
