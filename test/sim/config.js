// @ts-check
/**
 * Where the simulated workstation keeps its state, and the names it uses.
 * Everything is derived from one state directory (INFERADMIN_SIM_DIR, default `<repo>/.sim`),
 * so several simulations (a developer's demo, a CI run, a test of `up`/`down`) can live side by side.
 */
import { createHash } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const SIM_ROOT = dirname(fileURLToPath(import.meta.url))
export const REPO_ROOT = resolve(SIM_ROOT, '..', '..')

/** Default repository of the simulated vLLM images (the real one is vllm/vllm-openai). */
export const DEFAULT_VLLM_REPOSITORY = 'inferadmin-sim/vllm-openai'
/** Repository of the shared runtime layer (node + its libraries), kept apart so it never shows up as a vLLM tag. */
export const RUNTIME_REPOSITORY = 'inferadmin-sim/runtime'

/** Where a container sees the simulated GPU state (bind-mounted by the stand-in runtime hook). */
export const CONTAINER_GPU_DIR = '/run/inferadmin-sim-gpus'
/** Where a container sees what the stand-in hook says about it (its id, visible GPUs). */
export const CONTAINER_INFO_DIR = '/run/inferadmin-sim'

/**
 * @typedef {object} SimPaths
 * @property {string} simDir        state directory
 * @property {string} gpuDir        simulated GPUs (state.json, allocations/)
 * @property {string} binDir        user-facing executables (nvidia-smi)
 * @property {string} hookBinDir    put on dockerd's PATH (nvidia-container-runtime-hook)
 * @property {string} containersDir per-container files written by the hook
 * @property {string} buildDir      image build contexts
 * @property {string} envFile       `export NAME=value` lines written by `up`
 * @property {string} engineFile    JSON record of the engine `up` started or found
 * @property {string} dataRoot      private dockerd --data-root
 * @property {string} runDir        private dockerd socket, pid file and exec root (short path, tmpfs)
 * @property {string} socket        private dockerd socket
 * @property {string} pidFile       private dockerd pid file
 * @property {string} execRoot      private dockerd --exec-root
 * @property {string} logFile       private dockerd log
 * @property {string} bridge        network bridge of the private dockerd (≤ 15 characters)
 * @property {string} id            short hash of simDir
 */

/**
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string}
 */
export function resolveSimDir(env = process.env) {
  return resolve(env.INFERADMIN_SIM_DIR || join(REPO_ROOT, '.sim'))
}

/**
 * @param {string} [simDir]
 * @returns {SimPaths}
 */
export function simPaths(simDir = resolveSimDir()) {
  const dir = resolve(simDir)
  const id = createHash('sha256').update(dir).digest('hex').slice(0, 8)
  // Unix socket paths are limited to 108 bytes: keep the engine's sockets in a short tmpfs path.
  const runDir = join('/run/inferadmin-sim', id)
  return {
    simDir: dir,
    gpuDir: join(dir, 'gpus'),
    binDir: join(dir, 'bin'),
    hookBinDir: join(dir, 'hook-bin'),
    containersDir: join(dir, 'containers'),
    buildDir: join(dir, 'build'),
    envFile: join(dir, 'env.sh'),
    engineFile: join(dir, 'engine.json'),
    dataRoot: join(dir, 'docker'),
    runDir,
    socket: join(runDir, 'docker.sock'),
    pidFile: join(runDir, 'docker.pid'),
    execRoot: join(runDir, 'exec'),
    logFile: join(dir, 'dockerd.log'),
    bridge: `infsim${id}`,
    id,
  }
}

/** Tags built for the simulated vLLM repository, newest snapshot last; `latest` = newest release. */
export const VLLM_TAGS = /** @type {const} */ (['v0.10.0', 'v0.11.0', 'v0.12.0', 'v0.21.0', 'latest', 'nightly'])
