// @ts-check
/**
 * Image registry stand-ins of the simulated workstation (vllm-facts §4):
 *  - a real registry (Debian `docker-registry`, distribution 2.8) with its own config, storage directory and
 *    loopback port, started detached and stopped by its PID;
 *  - one node process (serve.js) running the "front" (registry v2 with bearer-token auth via a
 *    WWW-Authenticate challenge, throttling and an "unreachable" switch, proxied to the registry) and the
 *    Docker Hub API stand-in (paged tags with last_updated, digest, full_size), both backed by the registry.
 * The simulated vLLM tags are pushed from the sim dockerd with dockerode (`image.push`); 127.0.0.0/8 registries
 * are insecure (plain HTTP) by default in dockerd, so no daemon configuration is needed.
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SIM_ROOT } from '../config.js'
import { isAlive } from '../gpus/procs.js'
import { freePort } from '../ports.js'

/** Extra tags pushed beside VLLM_TAGS so variants and commit nightlies exist as on Docker Hub (vllm-facts §4). */
export const EXTRA_TAGS = /** @type {const} */ ({
  'v0.21.0-cu129': 'v0.21.0',
  'v0.12.0-x86_64': 'v0.12.0',
  'nightly-7a1eb8ac2ec4ea69338c51dc7afd4b15010abfa8': 'nightly',
})

/**
 * @typedef {object} RegistryState
 * @property {number} registryPid
 * @property {number} registryPort   the plain registry (no auth)
 * @property {number} servePid
 * @property {number} frontPort      registry v2 front with token auth (what clients and dockerd use)
 * @property {number} hubPort        Docker Hub API stand-in
 */

/** @param {string} simDir */
export function registryPaths(simDir) {
  const dir = join(simDir, 'registry')
  return {
    dir,
    config: join(dir, 'config.yml'),
    storage: join(dir, 'storage'),
    state: join(dir, 'state.json'),
    log: join(dir, 'registry.log'),
    serveLog: join(dir, 'serve.log'),
  }
}

/** @param {string} simDir @returns {RegistryState | null} */
export function readRegistryState(simDir) {
  try {
    return /** @type {RegistryState} */ (JSON.parse(readFileSync(registryPaths(simDir).state, 'utf8')))
  } catch {
    return null
  }
}

/** @param {string} url @param {number} timeoutMs */
async function answers(url, timeoutMs = 1000) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    await r.arrayBuffer()
    return r.status < 500
  } catch {
    return false
  }
}

/** @param {string} what @param {number} pid @param {string} url @param {string} log */
async function waitUp(what, pid, url, log) {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (!isAlive(pid)) break
    if (await answers(url)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  if (isAlive(pid)) process.kill(pid, 'SIGTERM')
  const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-10).join('\n') : ''
  throw new Error(`${what} did not come up (log ${log}):\n${tail}`)
}

/** @param {string} cmd @param {string[]} args @param {string} logFile @param {NodeJS.ProcessEnv} [env] */
function spawnDetached(cmd, args, logFile, env) {
  const log = openSync(logFile, 'a')
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log], env: env ?? process.env })
  closeSync(log)
  child.unref()
  if (!child.pid) throw new Error(`could not spawn ${cmd}`)
  return child.pid
}

/**
 * Start the registry and the front/Hub stand-in (or reuse the running ones).
 * @param {{simDir: string, log?: (s: string) => void}} o
 * @returns {Promise<{state: RegistryState, started: boolean}>}
 */
export async function startRegistry(o) {
  const log = o.log ?? (() => {})
  const p = registryPaths(o.simDir)
  const prev = readRegistryState(o.simDir)
  if (prev && isAlive(prev.registryPid) && isAlive(prev.servePid) && (await answers(`http://127.0.0.1:${prev.hubPort}/_sim/health`))) {
    return { state: prev, started: false }
  }
  stopRegistry({ simDir: o.simDir })
  const bin = ['/usr/bin/docker-registry', '/usr/bin/registry'].find((f) => existsSync(f))
  if (!bin) throw new Error('docker-registry not found: install Debian docker-registry (apt-get install docker-registry)')
  mkdirSync(p.storage, { recursive: true })
  const registryPort = await freePort()
  writeFileSync(
    p.config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${p.storage}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${registryPort}`,
      '',
    ].join('\n'),
  )
  const registryPid = spawnDetached(bin, ['serve', p.config], p.log)
  await waitUp('docker-registry', registryPid, `http://127.0.0.1:${registryPort}/v2/`, p.log)
  const [frontPort, hubPort] = [await freePort(), await freePort()]
  const servePid = spawnDetached(process.execPath, [join(SIM_ROOT, 'registry', 'serve.js')], p.serveLog, {
    ...process.env,
    SIM_REGISTRY_UPSTREAM: `http://127.0.0.1:${registryPort}`,
    SIM_REGISTRY_FRONT_PORT: String(frontPort),
    SIM_DOCKERHUB_PORT: String(hubPort),
  })
  await waitUp('registry front / Docker Hub stand-in', servePid, `http://127.0.0.1:${hubPort}/_sim/health`, p.serveLog)
  /** @type {RegistryState} */
  const state = { registryPid, registryPort, servePid, frontPort, hubPort }
  writeFileSync(p.state, JSON.stringify(state, null, 2) + '\n')
  log(`registry at 127.0.0.1:${frontPort} (token auth; plain ${registryPort}), Docker Hub API stand-in at http://127.0.0.1:${hubPort}`)
  return { state, started: true }
}

/** Stop what startRegistry started (by PID). @param {{simDir: string, purge?: boolean}} o */
export function stopRegistry(o) {
  const p = registryPaths(o.simDir)
  const s = readRegistryState(o.simDir)
  let stopped = false
  for (const pid of s ? [s.servePid, s.registryPid] : []) {
    if (!isAlive(pid)) continue
    const cmd = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      } catch {
        return ''
      }
    })()
    if (cmd.includes('registry')) {
      process.kill(pid, 'SIGTERM')
      stopped = true
    }
  }
  rmSync(p.state, { force: true })
  if (o.purge) rmSync(p.dir, { recursive: true, force: true })
  return stopped
}

/** Fault controls of the running front (see serve.js). @param {RegistryState} s @param {{throttleBps?: number, down?: boolean, auth?: boolean}} faults */
export async function setRegistryFaults(s, faults) {
  const r = await fetch(`http://127.0.0.1:${s.hubPort}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  })
  if (!r.ok) throw new Error(`setting registry faults failed: ${r.status}`)
}

/** The credentials the front accepts (basic auth at its token endpoint; anonymous pull is allowed too). */
export const REGISTRY_USER = { username: 'sim', password: 'sim-password' }

/**
 * Push local images to the registry as `<host>/<repository>:<tag>` (then drop the prefixed local tags, so the
 * registry repository starts with nothing pulled).
 * @param {import('dockerode')} docker
 * @param {{registry: string, repository: string, tags: Record<string, string>, log?: (s: string) => void}} o
 *   tags: registry tag → local tag of `repository`
 */
export async function pushTags(docker, o) {
  const remote = `${o.registry}/${o.repository}`
  for (const [tag, local] of Object.entries(o.tags)) {
    await docker.getImage(`${o.repository}:${local}`).tag({ repo: remote, tag })
    const stream = await docker.getImage(`${remote}:${tag}`).push({ tag, authconfig: { ...REGISTRY_USER, serveraddress: o.registry } })
    /** @type {any[]} */
    const events = await new Promise((res, rej) => docker.modem.followProgress(stream, (err, out) => (err ? rej(err) : res(out))))
    const failed = events.find((e) => e.error || e.errorDetail)
    if (failed) throw new Error(`pushing ${remote}:${tag} failed: ${failed.error ?? failed.errorDetail?.message}`)
    await docker.getImage(`${remote}:${tag}`).remove({ noprune: true })
    o.log?.(`pushed ${remote}:${tag}`)
  }
}

/**
 * `sim up`: start (or reuse) the registry stand-ins and push the simulated vLLM tags plus EXTRA_TAGS.
 * @param {import('dockerode')} docker
 * @param {{simDir: string, repository: string, log?: (s: string) => void}} o
 * @returns {Promise<{state: RegistryState, env: Record<string, string>}>}
 *   env: INFERADMIN_SIM_REGISTRY (host:port of the registry front) and INFERADMIN_DOCKERHUB_API (Hub API stand-in URL)
 */
export async function registryUp(docker, o) {
  const { VLLM_TAGS } = await import('../config.js')
  const { state } = await startRegistry(o)
  const registry = `127.0.0.1:${state.frontPort}`
  const tags = Object.fromEntries([...VLLM_TAGS.map((t) => [t, t]), ...Object.entries(EXTRA_TAGS)])
  const t0 = Date.now()
  await pushTags(docker, { registry, repository: o.repository, tags })
  o.log?.(`pushed ${Object.keys(tags).length} tags to ${registry}/${o.repository} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  return { state, env: { INFERADMIN_SIM_REGISTRY: registry, INFERADMIN_DOCKERHUB_API: `http://127.0.0.1:${state.hubPort}` } }
}
