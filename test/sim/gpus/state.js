// @ts-check
/**
 * The simulated GPUs: one directory shared by the host (stand-in nvidia-smi, CLI, tests) and the
 * simulated vLLM containers (bind-mounted by the stand-in runtime hook).
 *
 *   <gpuDir>/state.json              profile, external usage per GPU, fault switch
 *   <gpuDir>/allocations/<key>.json  one file per process holding GPU memory (written by that process)
 *
 * Memory used = idle base + external + sum of live allocations (vllm-facts §3: every vLLM instance
 * holds ceil(total × gpu_memory_utilization) for its whole life); utilization, power, temperature
 * and clocks follow the load the allocations report.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PROFILES } from './profiles.js'
import { isAlive, resolveHostPid } from './procs.js'

/** @typedef {import('./profiles.js').GpuProfile} GpuProfile */
/** @typedef {import('./profiles.js').GpuSpec} GpuSpec */

/** Fault switches, reproducing the real failures (vllm-facts §5 "Errors"). */
export const FAULTS = /** @type {const} */ (['none', 'driver-not-loaded', 'not-installed', 'mismatch', 'gpu-lost', 'no-devices'])
/** @typedef {typeof FAULTS[number]} FaultKind */

/**
 * @typedef {object} GpuState
 * @property {GpuProfile} profile
 * @property {Record<string, {usedMiB: number, utilPct: number}>} external  by GPU uuid
 * @property {{kind: FaultKind, gpu: string | null}} fault  gpu: uuid for gpu-lost
 */

/**
 * @typedef {object} Allocation
 * @property {string} key
 * @property {string | null} containerId  null: the process runs on the host and `pid` is a host PID
 * @property {number} pid                 PID in the process's own PID namespace
 * @property {string} processName
 * @property {{uuid: string, usedMiB: number}[]} gpus
 * @property {{active: number, waiting: number}} load
 * @property {string} createdAt
 */

/**
 * @typedef {Allocation & {hostPid: number | null}} LiveAllocation
 */

/** @param {string} file @param {unknown} value */
export function writeJsonAtomic(file, value) {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n')
  renameSync(tmp, file)
}

/** @param {string} gpuDir */
const stateFile = (gpuDir) => join(gpuDir, 'state.json')
/** @param {string} gpuDir */
const allocDir = (gpuDir) => join(gpuDir, 'allocations')

/**
 * Create the state directory with a profile; keeps an existing state unless `reset` (or the profile differs).
 * @param {string} gpuDir
 * @param {{profile?: GpuProfile, reset?: boolean}} [opts]
 * @returns {GpuState}
 */
export function initGpuState(gpuDir, opts = {}) {
  mkdirSync(allocDir(gpuDir), { recursive: true })
  const profile = opts.profile ?? PROFILES.default
  if (!profile) throw new Error('no GPU profile')
  const current = tryReadState(gpuDir)
  if (current && !opts.reset && (!opts.profile || JSON.stringify(current.profile) === JSON.stringify(profile))) {
    return current
  }
  /** @type {GpuState} */
  const state = { profile, external: {}, fault: { kind: 'none', gpu: null } }
  writeJsonAtomic(stateFile(gpuDir), state)
  return state
}

/** @param {string} gpuDir @returns {GpuState | null} */
function tryReadState(gpuDir) {
  try {
    return JSON.parse(readFileSync(stateFile(gpuDir), 'utf8'))
  } catch {
    return null
  }
}

/** @param {string} gpuDir @returns {GpuState} */
export function readState(gpuDir) {
  const s = tryReadState(gpuDir)
  if (!s) throw new Error(`no simulated GPU state in ${gpuDir} (run: npm run sim -- up)`)
  return s
}

/**
 * @param {string} gpuDir
 * @param {(s: GpuState) => void} change
 */
function updateState(gpuDir, change) {
  const s = readState(gpuDir)
  change(s)
  writeJsonAtomic(stateFile(gpuDir), s)
  return s
}

/**
 * Find a GPU by index ("0"), UUID ("GPU-…") or PCI bus id.
 * @param {GpuState} state
 * @param {string | number} id
 * @returns {GpuSpec}
 */
export function findGpu(state, id) {
  const s = String(id)
  const g = state.profile.gpus.find((x) => String(x.index) === s || x.uuid === s || x.busId === s)
  if (!g) throw new Error(`no simulated GPU "${s}" (have ${state.profile.gpus.map((x) => `${x.index}=${x.uuid}`).join(', ')})`)
  return g
}

/**
 * Set the memory (and utilization) used on a GPU by something outside InferAdmin's containers
 * (a game, a notebook). 0 clears it.
 * @param {string} gpuDir
 * @param {string | number} gpu index or uuid
 * @param {number} usedMiB
 * @param {number} [utilPct]
 */
export function setExternalUsage(gpuDir, gpu, usedMiB, utilPct = usedMiB > 0 ? 15 : 0) {
  if (!Number.isFinite(usedMiB) || usedMiB < 0) throw new Error(`external usage must be ≥ 0 MiB, got ${usedMiB}`)
  return updateState(gpuDir, (s) => {
    const g = findGpu(s, gpu)
    if (usedMiB === 0 && utilPct === 0) delete s.external[g.uuid]
    else s.external[g.uuid] = { usedMiB: Math.round(usedMiB), utilPct: Math.max(0, Math.min(100, utilPct)) }
  })
}

/**
 * Record a fault switch. (`not-installed` also removes the nvidia-smi executable: see ../gpu-control.js.)
 * @param {string} gpuDir
 * @param {FaultKind} kind
 * @param {string | number | null} [gpu] for gpu-lost: which GPU (default 0)
 */
export function setFaultState(gpuDir, kind, gpu = null) {
  if (!FAULTS.includes(kind)) throw new Error(`unknown fault "${kind}" (one of ${FAULTS.join(', ')})`)
  return updateState(gpuDir, (s) => {
    s.fault = { kind, gpu: kind === 'gpu-lost' ? findGpu(s, gpu ?? 0).uuid : null }
  })
}

/**
 * Register GPU memory held by this process. Returns a handle to report load and to release.
 * @param {string} gpuDir
 * @param {Omit<Allocation, 'key' | 'createdAt' | 'load'>} a
 */
export function registerAllocation(gpuDir, a) {
  mkdirSync(allocDir(gpuDir), { recursive: true })
  const key = `${a.containerId ? a.containerId.slice(0, 12) : 'host'}-${a.pid}-${Date.now().toString(36)}`
  const file = join(allocDir(gpuDir), `${key}.json`)
  /** @type {Allocation} */
  const rec = { ...a, key, load: { active: 0, waiting: 0 }, createdAt: new Date().toISOString() }
  writeJsonAtomic(file, rec)
  let released = false
  return {
    key,
    /** @param {{active: number, waiting: number}} load */
    setLoad(load) {
      if (released || (load.active === rec.load.active && load.waiting === rec.load.waiting)) return
      rec.load = { ...load }
      try {
        writeJsonAtomic(file, rec)
      } catch {
        /* state dir gone (sim down): nothing to report to */
      }
    },
    /** @param {{uuid: string, usedMiB: number}[]} gpus memory held now (it grows while vLLM loads) */
    setUsage(gpus) {
      if (released) return
      rec.gpus = gpus.map((g) => ({ ...g }))
      try {
        writeJsonAtomic(file, rec)
      } catch {
        /* state dir gone */
      }
    },
    release() {
      if (released) return
      released = true
      rmSync(file, { force: true })
    },
  }
}

/**
 * Allocations of live processes. `verify: 'host'` (the default, for the host-side nvidia-smi and the hook)
 * resolves every record to a host PID through /proc and drops the dead ones (a killed container frees its
 * memory at once, like a real driver); `gc` also deletes their files. `verify: 'trust'` is for readers inside
 * a container, which cannot see other containers' processes (the hook collected dead ones before start).
 * @param {string} gpuDir
 * @param {{verify?: 'host' | 'trust', gc?: boolean}} [opts]
 * @returns {LiveAllocation[]}
 */
export function listAllocations(gpuDir, opts = {}) {
  const verify = opts.verify ?? 'host'
  /** @type {string[]} */
  let names = []
  try {
    names = readdirSync(allocDir(gpuDir)).filter((n) => n.endsWith('.json'))
  } catch {
    return []
  }
  /** @type {LiveAllocation[]} */
  const out = []
  for (const n of names) {
    const file = join(allocDir(gpuDir), n)
    /** @type {Allocation} */
    let a
    try {
      a = JSON.parse(readFileSync(file, 'utf8'))
    } catch {
      continue
    }
    if (verify === 'trust') {
      out.push({ ...a, hostPid: a.containerId ? null : a.pid })
      continue
    }
    const hostPid = a.containerId ? resolveHostPid(a.containerId, a.pid) : isAlive(a.pid) ? a.pid : null
    if (hostPid === null) {
      if (opts.gc) rmSync(file, { force: true })
      continue
    }
    out.push({ ...a, hostPid })
  }
  return out.sort((x, y) => x.createdAt.localeCompare(y.createdAt))
}

/**
 * @typedef {object} GpuReading
 * @property {GpuSpec} spec
 * @property {number} usedMiB
 * @property {number} freeMiB
 * @property {number} utilPct
 * @property {number} memUtilPct
 * @property {number} powerW
 * @property {number} tempC
 * @property {number | null} fanPct
 * @property {number} clockGrMHz
 * @property {number} clockMemMHz
 * @property {string} pstate
 * @property {boolean} lost
 */

/**
 * What the driver would report for each GPU now.
 * @param {GpuState} state
 * @param {LiveAllocation[]} allocations
 * @returns {GpuReading[]}
 */
export function readings(state, allocations) {
  return state.profile.gpus.map((spec) => {
    const ext = state.external[spec.uuid] ?? { usedMiB: 0, utilPct: 0 }
    let used = spec.baseUsedMiB + ext.usedMiB
    let busy = ext.utilPct
    for (const a of allocations) {
      for (const g of a.gpus) {
        if (g.uuid !== spec.uuid) continue
        used += g.usedMiB
        // A vLLM engine with running requests keeps the GPU near 100 % (decode loop); idle → 0.
        if (a.load.active > 0) busy += 90 + Math.min(9, a.load.active)
      }
    }
    const cap = spec.memoryTotalMiB - spec.reservedMiB
    used = Math.min(used, cap)
    const util = Math.min(100, Math.round(busy))
    const f = util / 100
    return {
      spec,
      usedMiB: used,
      freeMiB: Math.max(0, cap - used),
      utilPct: util,
      memUtilPct: Math.round(util * 0.6),
      powerW: spec.powerIdleW + (spec.powerMaxW - spec.powerIdleW) * f,
      tempC: Math.round(spec.tempIdleC + (spec.tempMaxC - spec.tempIdleC) * f),
      fanPct: spec.fanIdlePct === null ? null : Math.round(spec.fanIdlePct + (85 - spec.fanIdlePct) * f),
      clockGrMHz: util > 0 ? Math.round(spec.clockMaxGrMHz * 0.9) : spec.clockGrMHz,
      clockMemMHz: util > 0 ? maxMemClock(spec) : spec.clockMemMHz,
      pstate: util > 0 || used > spec.baseUsedMiB + ext.usedMiB ? (spec.pstateBusy ?? 'P2') : (spec.pstateIdle ?? 'P8'),
      lost: state.fault.kind === 'gpu-lost' && state.fault.gpu === spec.uuid,
    }
  })
}

/**
 * Memory clock at load (states written before profiles had clockMaxMemMHz: guessed from the card's size).
 * @param {GpuSpec} spec
 */
export const maxMemClock = (spec) => spec.clockMaxMemMHz ?? (spec.memoryTotalMiB > 40000 ? 2619 : 10501)
