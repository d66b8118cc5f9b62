// @ts-check
/**
 * Host-side process lookups for the stand-in driver: is a PID alive, and which host PID has a
 * process that lives in container C with PID p in the container's PID namespace.
 * Uses /proc/<pid>/cgroup (contains the container id, vllm-facts §5) and the NSpid line of
 * /proc/<pid>/status (the PID in each nested namespace, innermost last).
 */
import { readdirSync, readFileSync } from 'node:fs'

/** @param {number} pid */
export function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return !isZombie(pid)
  } catch (e) {
    return /** @type {NodeJS.ErrnoException} */ (e).code === 'EPERM'
  }
}

/** @param {number} pid */
function isZombie(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}

/** @type {Map<string, number>} */
const cache = new Map()

/**
 * @param {number} hostPid
 * @param {string} containerId
 * @param {number} nsPid
 */
function matches(hostPid, containerId, nsPid) {
  try {
    if (!readFileSync(`/proc/${hostPid}/cgroup`, 'utf8').includes(containerId)) return false
    const status = readFileSync(`/proc/${hostPid}/status`, 'utf8')
    const m = /^NSpid:\s*(.+)$/m.exec(status)
    if (!m || !m[1]) return false
    const ids = m[1].trim().split(/\s+/)
    return Number(ids[ids.length - 1]) === nsPid && !/^State:\s*Z/m.test(status)
  } catch {
    return false
  }
}

/**
 * Host PID of the process with PID `nsPid` inside container `containerId`, or null when it no longer runs
 * (or the engine runs on another machine, where this host's /proc cannot see it).
 * @param {string} containerId full 64-hex container id
 * @param {number} nsPid
 * @returns {number | null}
 */
export function resolveHostPid(containerId, nsPid) {
  const key = `${containerId}/${nsPid}`
  const cached = cache.get(key)
  if (cached !== undefined && matches(cached, containerId, nsPid)) return cached
  cache.delete(key)
  /** @type {string[]} */
  let entries
  try {
    entries = readdirSync('/proc')
  } catch {
    return null
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    if (matches(pid, containerId, nsPid)) {
      cache.set(key, pid)
      return pid
    }
  }
  return null
}
