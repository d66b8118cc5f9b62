#!/usr/bin/env node
// @ts-check
/**
 * CPU cost of GPU telemetry at 1 Hz: our sampler (one long-lived `nvidia-smi -lms` child parsed in a
 * worker thread, plus the compute-apps query every 3 s; also reported without it) versus polling systeminformation's graphics()
 * once a second (it runs lspci, then `nvidia-smi --query-gpu=…` synchronously, plus clinfo/xrandr).
 * Both talk to the same stand-in nvidia-smi (test/sim/gpus). Each variant runs in its own process;
 * CPU = its user+system time plus that of every child it spawned and reaped (/proc/self/stat).
 *
 * Env: BENCH_GPU_SECONDS (default 60), BENCH_GPU_INTERVAL_MS (default 1000).
 * Prints one JSON object. This machine has no lspci: a stand-in `lspci` listing the two simulated
 * NVIDIA controllers is put on PATH for the systeminformation run, otherwise it never calls nvidia-smi.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const seconds = Number(process.env.BENCH_GPU_SECONDS ?? 60)
const intervalMs = Number(process.env.BENCH_GPU_INTERVAL_MS ?? 1000)

/** CPU ms of this process and of its reaped children (clock ticks → ms). */
function cpuNow() {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const tick = 10 // USER_HZ = 100 on Linux
  const self = process.cpuUsage()
  return { selfMs: (self.user + self.system) / 1000, childrenMs: (Number(f[13]) + Number(f[14])) * tick }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** @param {string} smiPath @param {boolean} apps @returns {Promise<number>} samples */
async function runOurs(smiPath, apps) {
  const worker = new Worker(join(root, 'src/main/core/gpu/gpu-worker.js'))
  let samples = 0
  let stopped = () => {}
  worker.on('message', (/** @type {{type: string}} */ m) => {
    if (m.type === 'sample') samples++
    if (m.type === 'stopped') stopped()
  })
  worker.postMessage({
    type: 'config',
    smiPath,
    intervalMs,
    appsEveryMs: apps ? Math.max(2000, 3 * intervalMs) : 24 * 3600_000,
    backoff: { initialMs: 1000, maxMs: 15000 },
    stallMs: 10_000,
  })
  await sleep(seconds * 1000)
  await new Promise((r) => {
    stopped = () => r(undefined)
    worker.postMessage({ type: 'stop' })
  })
  await worker.terminate()
  return samples
}

/** @returns {Promise<number>} samples with NVIDIA data */
async function runSi() {
  const si = (await import('systeminformation')).default
  let samples = 0
  const until = Date.now() + seconds * 1000
  let next = Date.now()
  while (Date.now() < until) {
    const g = await si.graphics()
    if (g.controllers.some((c) => c.vendor.includes('NVIDIA') && c.memoryUsed !== undefined)) samples++
    next += intervalMs
    await sleep(Math.max(0, next - Date.now()))
  }
  return samples
}

async function child(mode, smiPath) {
  const h = monitorEventLoopDelay({ resolution: 10 })
  h.enable()
  const before = cpuNow()
  const samples =
    mode === 'ours' || mode === 'oursLoopOnly'
      ? await runOurs(smiPath, mode === 'ours')
      : mode === 'systeminformation'
        ? await runSi()
        : (await sleep(seconds * 1000), 0)
  h.disable()
  const after = cpuNow()
  const selfMs = after.selfMs - before.selfMs
  const childrenMs = after.childrenMs - before.childrenMs
  process.stdout.write(
    JSON.stringify({
      mode,
      samples,
      cpuMs: Math.round(selfMs + childrenMs),
      selfCpuMs: Math.round(selfMs),
      childrenCpuMs: childrenMs,
      maxEventLoopDelayMs: Math.round(h.max / 1e6),
    }) + '\n',
  )
}

/** A simulated workstation: GPU state, stand-in nvidia-smi and lspci on a PATH directory. */
async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gpu-'))
  const { initGpuState } = await import(join(root, 'test/sim/gpus/state.js'))
  initGpuState(join(dir, 'gpus'))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  const smi = join(bin, 'nvidia-smi')
  writeFileSync(
    smi,
    `#!/bin/sh\nINFERADMIN_SIM_GPU_DIR='${join(dir, 'gpus')}' exec '${process.execPath}' '${join(root, 'test/sim/gpus/nvidia-smi.js')}' "$@"\n`,
  )
  const lspci = join(bin, 'lspci')
  writeFileSync(
    lspci,
    '#!/bin/sh\n' +
      "printf '01:00.0 VGA compatible controller: NVIDIA Corporation AD102 [GeForce RTX 4090] (rev a1) (prog-if 00 [VGA controller])\\n\\tSubsystem: NVIDIA Corporation Device 167c\\n\\tKernel driver in use: nvidia\\n\\n" +
      "02:00.0 VGA compatible controller: NVIDIA Corporation AD102 [GeForce RTX 4090] (rev a1) (prog-if 00 [VGA controller])\\n\\tSubsystem: NVIDIA Corporation Device 167c\\n\\tKernel driver in use: nvidia\\n\\n'\n",
  )
  chmodSync(smi, 0o755)
  chmodSync(lspci, 0o755)
  return { dir, bin, smi }
}

/** @param {string} mode @param {{bin: string, smi: string}} env */
function runChild(mode, env) {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, env.smi], {
      env: { ...process.env, PATH: `${env.bin}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    p.stdout.on('data', (d) => (out += d))
    p.on('exit', (code) =>
      code === 0 ? resolvePromise(JSON.parse(out.trim().split('\n').pop() ?? '{}')) : reject(new Error(`${mode} exited ${code}`)),
    )
  })
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] ?? 'idle', process.argv[4] ?? 'nvidia-smi')
} else {
  const env = await setup()
  try {
    const [ours, sys, idle, loopOnly] = /** @type {{cpuMs: number}[]} */ (
      await Promise.all(['ours', 'systeminformation', 'idle', 'oursLoopOnly'].map((m) => runChild(m, env)))
    )
    const net = (/** @type {{cpuMs: number}} */ r) => Math.max(1, r.cpuMs - idle.cpuMs)
    process.stdout.write(
      JSON.stringify({
        bench: 'gpu-sampler',
        seconds,
        intervalMs,
        ours,
        systeminformation: sys,
        idleNode: idle,
        // the same sampler without the compute-apps query (which spawns nvidia-smi every 3 s)
        oursLoopOnly: loopOnly,
        ratio: Math.round((sys.cpuMs / Math.max(1, ours.cpuMs)) * 10) / 10,
        ratioNetOfIdle: Math.round((net(sys) / net(ours)) * 10) / 10,
      }) + '\n',
    )
  } finally {
    rmSync(env.dir, { recursive: true, force: true })
  }
}
