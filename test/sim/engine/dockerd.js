// @ts-check
/**
 * The Docker engine of the simulation: probe a reachable one (DOCKER_HOST or the default socket), or run a
 * private `dockerd` (Debian docker.io, as root) with its own socket, --data-root, --exec-root, --pidfile,
 * config file and network bridge, and the stand-in nvidia-container-runtime-hook first on its PATH so that
 * GPU DeviceRequests are accepted (vllm-facts §7). Only what was started here is stopped here.
 */
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import Docker from 'dockerode'
import { isAlive } from '../gpus/procs.js'

/** @typedef {import('../config.js').SimPaths} SimPaths */

/**
 * dockerode for a DOCKER_HOST-style address.
 * @param {string} dockerHost unix:///path, /path or tcp://host:port
 */
export function dockerFor(dockerHost) {
  if (dockerHost.startsWith('unix://')) return new Docker({ socketPath: dockerHost.slice('unix://'.length) })
  if (dockerHost.startsWith('/')) return new Docker({ socketPath: dockerHost })
  const u = new URL(dockerHost.replace(/^tcp:/, 'http:'))
  return new Docker({ host: u.hostname, port: Number(u.port || 2375), protocol: 'http' })
}

/**
 * Does an engine answer at this address? (GET /_ping, bounded.)
 * @param {string} dockerHost
 * @param {number} [timeoutMs]
 */
export async function ping(dockerHost, timeoutMs = 2000) {
  if ((dockerHost.startsWith('unix://') || dockerHost.startsWith('/')) && !existsSync(dockerHost.replace(/^unix:\/\//, ''))) return false
  try {
    const docker = dockerFor(dockerHost)
    await Promise.race([docker.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), timeoutMs))])
    return true
  } catch {
    return false
  }
}

/** Is the private dockerd of these paths running (pid file → live dockerd process)? */
/** @param {SimPaths} p @returns {number | null} */
export function privateDockerdPid(p) {
  try {
    const pid = Number(readFileSync(p.pidFile, 'utf8').trim())
    if (!isAlive(pid)) return null
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return cmd.includes('dockerd') && cmd.includes(p.socket) ? pid : null
  } catch {
    return null
  }
}

/** @param {string[]} args */
function ip(args) {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/**
 * A bridge of our own (so a second dockerd on this host, e.g. a developer's, keeps docker0), on a free /24.
 * @param {SimPaths} p
 */
function ensureBridge(p) {
  try {
    ip(['link', 'show', p.bridge])
    ip(['link', 'set', p.bridge, 'up'])
    return
  } catch {
    /* create it */
  }
  const used = ip(['-4', '-o', 'addr', 'show'])
  let third = parseInt(p.id.slice(0, 2), 16)
  for (let i = 0; i < 256 && used.includes(`10.213.${third}.`); i++) third = (third + 1) % 256
  ip(['link', 'add', 'name', p.bridge, 'type', 'bridge'])
  ip(['addr', 'add', `10.213.${third}.1/24`, 'dev', p.bridge])
  ip(['link', 'set', p.bridge, 'up'])
}

/** @param {SimPaths} p */
function removeBridge(p) {
  try {
    ip(['link', 'delete', p.bridge])
  } catch {
    /* already gone */
  }
}

/**
 * Start the private dockerd (or return the running one) and wait until it answers.
 * @param {SimPaths} p
 * @param {{timeoutMs?: number, log?: (s: string) => void}} [o]
 * @returns {Promise<{pid: number, started: boolean}>}
 */
export async function startPrivateDockerd(p, o = {}) {
  const running = privateDockerdPid(p)
  if (running && (await ping(`unix://${p.socket}`, 5000))) return { pid: running, started: false }
  if (process.getuid?.() !== 0)
    throw new Error('starting a private dockerd needs root (or point DOCKER_HOST at an engine with the stand-in hook)')
  const dockerd = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((f) => existsSync(f))
  if (!dockerd) throw new Error('dockerd not found: install Debian docker.io (apt-get install docker.io)')
  for (const d of [p.runDir, p.execRoot, p.dataRoot]) mkdirSync(d, { recursive: true })
  rmSync(p.socket, { force: true })
  rmSync(p.pidFile, { force: true })
  ensureBridge(p)
  const config = `${p.simDir}/daemon.json`
  writeFileSync(config, '{}\n')
  const log = openSync(p.logFile, 'a')
  const PATH = [p.hookBinDir, process.env.PATH ?? '', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'].join(':')
  const child = spawn(
    dockerd,
    [
      `--host=unix://${p.socket}`,
      `--data-root=${p.dataRoot}`,
      `--exec-root=${p.execRoot}`,
      `--pidfile=${p.pidFile}`,
      `--config-file=${config}`,
      `--bridge=${p.bridge}`,
      '--iptables=false',
      '--ip-masq=false',
      '--log-level=warn',
    ],
    { detached: true, stdio: ['ignore', log, log], env: { ...process.env, PATH, INFERADMIN_SIM_DIR: p.simDir } },
  )
  closeSync(log)
  child.unref()
  const pid = child.pid
  if (!pid) throw new Error('could not spawn dockerd')
  const deadline = Date.now() + (o.timeoutMs ?? 60_000)
  while (Date.now() < deadline) {
    if (!isAlive(pid)) break
    if (await ping(`unix://${p.socket}`, 1000)) return { pid, started: true }
    await new Promise((r) => setTimeout(r, 100))
  }
  const tail = readFileSync(p.logFile, 'utf8').split('\n').slice(-15).join('\n')
  if (isAlive(pid)) process.kill(pid, 'SIGTERM')
  removeBridge(p)
  throw new Error(`private dockerd did not come up (log ${p.logFile}):\n${tail}`)
}

/**
 * Restart the private dockerd the way `systemctl restart docker` does: SIGTERM (the daemon stops its
 * containers; restart policies bring them back when it starts), then start it again with the same socket,
 * data root and bridge. Containers and images stay.
 * @param {SimPaths} p
 * @param {{timeoutMs?: number}} [o]
 * @returns {Promise<{pid: number, downMs: number}>} the new pid and how long the engine was away
 */
export async function restartPrivateDockerd(p, o = {}) {
  const pid = privateDockerdPid(p)
  if (!pid) throw new Error(`no private dockerd runs at unix://${p.socket}`)
  const t0 = Date.now()
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + (o.timeoutMs ?? 30_000)
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  if (isAlive(pid)) process.kill(pid, 'SIGKILL')
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50))
  const r = await startPrivateDockerd(p, o)
  return { pid: r.pid, downMs: Date.now() - t0 }
}

/**
 * Stop the private dockerd: remove its containers, SIGTERM (SIGKILL after the deadline), remove the bridge
 * and the socket directory. Images stay in the data root for the next `up`.
 * @param {SimPaths} p
 * @param {{timeoutMs?: number}} [o]
 * @returns {Promise<boolean>} whether a dockerd was stopped
 */
export async function stopPrivateDockerd(p, o = {}) {
  const pid = privateDockerdPid(p)
  if (pid) {
    try {
      const docker = dockerFor(`unix://${p.socket}`)
      const list = await docker.listContainers({ all: true })
      await Promise.all(
        list.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      )
    } catch {
      /* the daemon stops its containers itself */
    }
    process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + (o.timeoutMs ?? 30_000)
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50))
  }
  removeBridge(p)
  rmSync(p.runDir, { recursive: true, force: true })
  return pid !== null
}
