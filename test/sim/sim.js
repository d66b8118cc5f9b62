// @ts-check
/**
 * `up` / `down` / `status` of the simulated workstation, as functions (the CLI and the vitest globalSetup
 * call these). `up` is idempotent: it reuses its own running engine, else an engine that answers at
 * DOCKER_HOST or the default socket (unless `engine: 'private'`), else starts a private dockerd; then it
 * builds the simulated vLLM images and writes the `export NAME=value` lines to <sim dir>/env.sh.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_VLLM_REPOSITORY, resolveSimDir, simPaths } from './config.js'
import { dockerFor, ping, privateDockerdPid, startPrivateDockerd, stopPrivateDockerd } from './engine/dockerd.js'
import { installExecutables, setGpuProfile } from './gpu-control.js'
import { initGpuState, listAllocations } from './gpus/state.js'
import { buildVllmImages } from './images.js'
import { REAL_WEBUI_REPOSITORY, SIM_WEBUI_REPOSITORY, buildWebuiImages } from './webui/image.js'
import { hubDown, hubUp } from './hub/daemon.js'
import { registryUp, stopRegistry } from './registry/registry.js'

/**
 * @typedef {object} EngineRecord
 * @property {'private' | 'external'} mode
 * @property {string} dockerHost
 * @property {number | null} pid
 * @property {string} repository
 * @property {string} startedAt
 */

/**
 * @typedef {object} UpOptions
 * @property {string} [simDir]        default INFERADMIN_SIM_DIR or <repo>/.sim
 * @property {string} [repository]    simulated vLLM repository (default INFERADMIN_SIM_VLLM_REPOSITORY or inferadmin-sim/vllm-openai)
 * @property {'auto' | 'private'} [engine]  auto: reuse a reachable engine; private: always our own dockerd
 * @property {string} [profile]       GPU profile for a fresh state: default | h100 | h200 | path to JSON (resets the GPU state)
 * @property {boolean} [build]        build the images (default true)
 * @property {(s: string) => void} [log]
 */

/**
 * @typedef {object} UpResult
 * @property {Record<string, string>} env   DOCKER_HOST, INFERADMIN_NVIDIA_SMI, INFERADMIN_SIM_VLLM_IMAGE, …
 * @property {EngineRecord} engine
 * @property {boolean} startedEngine        this call started the private dockerd
 * @property {{built: string[], reused: string[], seconds: number} | null} images
 * @property {number} seconds
 */

/** @param {string} simDir */
function readEngine(simDir) {
  try {
    return /** @type {EngineRecord} */ (JSON.parse(readFileSync(simPaths(simDir).engineFile, 'utf8')))
  } catch {
    return null
  }
}

/** One `up`/`down` at a time per state directory. @param {string} simDir */
async function lock(simDir) {
  const dir = join(simDir, 'lock')
  const deadline = Date.now() + 5 * 60_000
  for (;;) {
    try {
      mkdirSync(dir)
      return () => rmSync(dir, { recursive: true, force: true })
    } catch {
      try {
        if (Date.now() - statSync(dir).mtimeMs > 5 * 60_000) rmSync(dir, { recursive: true, force: true })
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`another sim up/down holds ${dir}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

/** @param {Record<string, string>} env */
export function envLines(env) {
  return (
    Object.entries(env)
      .map(([k, v]) => `export ${k}=${/^[\w./:@-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`}`)
      .join('\n') + '\n'
  )
}

/**
 * @param {UpOptions} [o]
 * @returns {Promise<UpResult>}
 */
export async function up(o = {}) {
  const t0 = Date.now()
  const log = o.log ?? (() => {})
  const simDir = o.simDir ?? resolveSimDir()
  const p = simPaths(simDir)
  mkdirSync(simDir, { recursive: true })
  const unlock = await lock(simDir)
  try {
    const repository =
      o.repository ?? process.env.INFERADMIN_SIM_VLLM_REPOSITORY ?? readEngine(simDir)?.repository ?? DEFAULT_VLLM_REPOSITORY
    if (o.profile) setGpuProfile(o.profile, { simDir })
    else initGpuState(p.gpuDir)
    installExecutables(simDir)

    const prev = readEngine(simDir)
    /** @type {EngineRecord | null} */
    let engine = null
    let startedEngine = false
    const ownPid = privateDockerdPid(p)
    if (ownPid && (await ping(`unix://${p.socket}`, 5000))) {
      engine = {
        mode: 'private',
        dockerHost: `unix://${p.socket}`,
        pid: ownPid,
        repository,
        startedAt: prev?.startedAt ?? new Date().toISOString(),
      }
      log(`reusing the private dockerd (pid ${ownPid}) at ${engine.dockerHost}`)
    } else if ((o.engine ?? 'auto') === 'auto') {
      const candidate = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock'
      if (candidate !== `unix://${p.socket}` && (await ping(candidate))) {
        engine = { mode: 'external', dockerHost: candidate, pid: null, repository, startedAt: new Date().toISOString() }
        log(`using the engine at ${candidate} (GPU requests need nvidia-container-runtime-hook on its PATH: ${p.hookBinDir})`)
      }
    }
    if (!engine) {
      log(`starting a private dockerd at unix://${p.socket} (data root ${p.dataRoot})`)
      const r = await startPrivateDockerd(p)
      startedEngine = r.started
      engine = { mode: 'private', dockerHost: `unix://${p.socket}`, pid: r.pid, repository, startedAt: new Date().toISOString() }
    }
    writeFileSync(p.engineFile, JSON.stringify(engine, null, 2) + '\n')

    const images = o.build === false ? null : await buildVllmImages(dockerFor(engine.dockerHost), { repository, buildDir: p.buildDir, log })
    // Simulated Open WebUI under the real repository name only on our own engine (never overwrite a real image).
    const webuiRepository = engine.mode === 'private' ? REAL_WEBUI_REPOSITORY : SIM_WEBUI_REPOSITORY
    if (o.build !== false) await buildWebuiImages(dockerFor(engine.dockerHost), { repository: webuiRepository, buildDir: p.buildDir, log })
    const hub = await hubUp(simDir)
    log(`${hub.reused ? 'reusing' : 'started'} the Hub stand-in at ${hub.url} (pid ${hub.pid})`)
    const registry = o.build === false ? null : await registryUp(dockerFor(engine.dockerHost), { simDir, repository, log })
    const env = {
      ...registry?.env,
      DOCKER_HOST: engine.dockerHost,
      HF_ENDPOINT: hub.url,
      INFERADMIN_NVIDIA_SMI: join(p.binDir, 'nvidia-smi'),
      INFERADMIN_NVIDIA_HOOK: join(p.hookBinDir, 'nvidia-container-runtime-hook'),
      INFERADMIN_SIM_VLLM_IMAGE: repository,
      INFERADMIN_SIM_WEBUI_IMAGE: webuiRepository,
      INFERADMIN_SIM_DIR: simDir,
      INFERADMIN_SIM_GPU_DIR: p.gpuDir,
      INFERADMIN_SIM_BIN: p.binDir,
    }
    writeFileSync(p.envFile, `# written by \`npm run sim -- up\` (test/sim/sim.js)\n${envLines(env)}`)
    return { env, engine, startedEngine, images, seconds: (Date.now() - t0) / 1000 }
  } finally {
    unlock()
  }
}

/**
 * Stop what `up` started (the private dockerd with its containers and bridge); an external engine is left
 * alone. GPU state and built images stay for the next `up`; `purge` removes the whole state directory.
 * @param {{simDir?: string, purge?: boolean, log?: (s: string) => void}} [o]
 */
export async function down(o = {}) {
  const log = o.log ?? (() => {})
  const simDir = o.simDir ?? resolveSimDir()
  const p = simPaths(simDir)
  if (!existsSync(simDir)) return { stopped: false }
  const unlock = await lock(simDir)
  let stopped = false
  try {
    const engine = readEngine(simDir)
    if (engine?.mode !== 'external' || privateDockerdPid(p)) {
      stopped = await stopPrivateDockerd(p)
      if (stopped) log(`stopped the private dockerd`)
    } else log(`left the engine at ${engine.dockerHost} running (not started by up)`)
    if (await hubDown(simDir)) log('stopped the Hub stand-in')
    if (stopRegistry({ simDir })) log('stopped the registry and the Docker Hub API stand-in')
    rmSync(p.engineFile, { force: true })
    rmSync(p.envFile, { force: true })
    rmSync(p.containersDir, { recursive: true, force: true })
    listAllocations(p.gpuDir, { gc: true })
  } finally {
    unlock()
  }
  if (o.purge) rmSync(simDir, { recursive: true, force: true })
  return { stopped }
}

/**
 * @param {{simDir?: string}} [o]
 */
export async function status(o = {}) {
  const simDir = o.simDir ?? resolveSimDir()
  const p = simPaths(simDir)
  const engine = readEngine(simDir)
  const reachable = engine ? await ping(engine.dockerHost) : false
  /** @type {string[]} */
  let images = []
  if (engine && reachable) {
    const list = await dockerFor(engine.dockerHost).listImages({ filters: JSON.stringify({ reference: [`${engine.repository}:*`] }) })
    images = list.flatMap((i) => i.RepoTags ?? []).sort()
  }
  return { simDir, engine, reachable, privatePid: privateDockerdPid(p), images, envFile: existsSync(p.envFile) ? p.envFile : null }
}
