// @ts-check
// The GPU sampler thread. It owns ONE long-lived `nvidia-smi --query-gpu=… -lms <interval>` child,
// parses its output here (off the main thread), and posts one parsed sample per tick. When the
// child dies it classifies why (nvidia-smi's own words) and restarts it with exponential backoff.
// Compute apps (PID → MiB per GPU) run as a one-shot query at a slower cadence.
// Plain JavaScript so the same file runs from source (tests) and from the build (out/main/gpu-worker.js).
import { execFile, spawn } from 'node:child_process'
import { parentPort } from 'node:worker_threads'
import { Backoff } from '../../../shared/backoff.js'
import { APPS_ARGS, classifyFault, isFaultLine, loopArgs, parseComputeApps, parseGpuLine } from './nvsmi.js'

if (!parentPort) throw new Error('gpu-worker.js must run in a worker thread')
const port = parentPort

/** @param {import('./types').FromWorker} msg */
const post = (msg) => port.postMessage(msg)

/** @type {Extract<import('./types').ToWorker, {type: 'config'}> | undefined} */
let config
/** @type {import('node:child_process').ChildProcess | undefined} */
let child
let generation = 0
let stopping = false
/** @type {Backoff | undefined} */
let backoff
/** @type {NodeJS.Timeout | undefined} */ let restartTimer
/** @type {NodeJS.Timeout | undefined} */ let appsTimer
/** @type {NodeJS.Timeout | undefined} */ let flushTimer
/** @type {NodeJS.Timeout | undefined} */ let stallTimer
/** @type {import('./types').GpuRow[]} */
let batch = []
/** Fault lines printed in the same tick (e.g. one lost GPU while the others still report). */
let batchFaults = ''
let batchAt = 0
/** Set when the compute-apps query saw a fault: the loop child is killed and this is reported. */
/** @type {import('./types').FaultInfo | null} */
let pendingFault = null
/** Whether the last thing we reported is a good sample (apps only run then). */
let healthy = false
let appsRunning = false

function flush() {
  if (flushTimer) clearTimeout(flushTimer)
  flushTimer = undefined
  const rows = batch
  const faultText = batchFaults
  batch = []
  batchFaults = ''
  if (rows.length === 0) {
    if (faultText) {
      // The loop still runs but no GPU answers (e.g. every GPU lost): report, keep reading.
      healthy = false
      post({
        type: 'fault',
        fault: classifyFault({ output: faultText, exitCode: null, path: config?.smiPath ?? '' }),
        attempts: backoff?.attempts ?? 0,
        retryAt: null,
      })
    }
    return
  }
  backoff?.reset()
  const first = !healthy
  healthy = true
  const partial = faultText ? classifyFault({ output: faultText, exitCode: null, path: config?.smiPath ?? '' }) : null
  post({ type: 'sample', at: batchAt, rows, partialFault: partial })
  if (first) queryApps()
}

function startBatch() {
  if (batch.length === 0 && !batchFaults) batchAt = Date.now()
}

function armStall() {
  if (stallTimer) clearTimeout(stallTimer)
  if (!config || !child) return
  const current = child
  stallTimer = setTimeout(() => {
    post({ type: 'log', level: 'warn', msg: 'nvidia-smi stopped printing samples; restarting it', data: { stallMs: config?.stallMs } })
    current.kill('SIGKILL')
  }, config.stallMs)
}

function startChild() {
  if (!config || stopping) return
  const cfg = config
  const gen = ++generation
  let output = ''
  let lineBuf = ''
  /** @type {string | null} */
  let spawnError = null
  let ended = false
  const proc = spawn(cfg.smiPath, loopArgs(cfg.intervalMs), { stdio: ['ignore', 'pipe', 'pipe'] })
  child = proc
  armStall()

  /** @param {string} line @returns {boolean} whether it was a GPU row */
  const onLine = (line) => {
    const row = parseGpuLine(line)
    if (row) {
      if (batch.some((r) => r.index === row.index)) flush()
      startBatch()
      batch.push(row)
      return true
    }
    if (!line.trim()) return false
    if (isFaultLine(line)) {
      // The process may keep running (loop mode) while the fault lasts: report it with this tick.
      startBatch()
      batchFaults += line + '\n'
      return true
    }
    if (output.length < 8192) output += line + '\n'
    return false
  }
  proc.stdout?.setEncoding('utf8')
  proc.stdout?.on('data', (/** @type {string} */ chunk) => {
    if (gen !== generation) return
    lineBuf += chunk
    const lines = lineBuf.split('\n')
    lineBuf = lines.pop() ?? ''
    let rows = false
    for (const line of lines) rows = onLine(line) || rows
    if (rows) armStall()
    if (batch.length > 0 || batchFaults) {
      if (flushTimer) clearTimeout(flushTimer)
      // All rows of one tick come together; flush shortly after the last chunk (or when an index repeats).
      flushTimer = setTimeout(flush, Math.min(50, Math.max(5, cfg.intervalMs / 4)))
    }
  })
  proc.stderr?.setEncoding('utf8')
  proc.stderr?.on('data', (/** @type {string} */ chunk) => {
    if (output.length < 8192) output += chunk
  })
  /** @param {number | null} code */
  const end = (code) => {
    if (ended) return
    ended = true
    if (gen !== generation) return
    child = undefined
    if (stallTimer) clearTimeout(stallTimer)
    if (lineBuf.trim()) onLine(lineBuf)
    const tail = batchFaults
    batchFaults = ''
    flush()
    if (stopping) return
    healthy = false
    const fault = pendingFault ?? classifyFault({ output: output + tail, exitCode: code, spawnError, path: cfg.smiPath })
    pendingFault = null
    const delay = backoff?.next() ?? 1000
    post({ type: 'fault', fault, attempts: backoff?.attempts ?? 1, retryAt: Date.now() + delay })
    restartTimer = setTimeout(startChild, delay)
  }
  proc.on('error', (err) => {
    spawnError = /** @type {NodeJS.ErrnoException} */ (err).code ?? err.message
    // A failed spawn emits 'error' and may not emit 'close'.
    setImmediate(() => end(null))
  })
  proc.on('close', (code) => end(code))
}

function queryApps() {
  if (!config || stopping || appsRunning || !healthy) return
  const cfg = config
  appsRunning = true
  execFile(cfg.smiPath, APPS_ARGS, { timeout: 10_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
    appsRunning = false
    if (stopping) return
    if (!err) {
      post({ type: 'apps', at: Date.now(), apps: parseComputeApps(stdout) })
      return
    }
    const e = /** @type {NodeJS.ErrnoException & {code?: unknown}} */ (err)
    const fault = classifyFault({
      output: `${stdout}${stderr}`,
      exitCode: typeof e.code === 'number' ? e.code : null,
      spawnError: typeof e.code === 'string' ? e.code : null,
      path: cfg.smiPath,
    })
    // A fresh nvidia-smi failing the way a driver fault does: the loop child is stale (it may keep
    // printing old handles); replace it, reporting this fault, and let the backoff retry.
    if (fault.kind !== 'nvidia-smi-failed' && child && healthy) {
      post({
        type: 'log',
        level: 'warn',
        msg: 'compute-apps query reports a driver fault; restarting the sampler',
        data: { kind: fault.kind },
      })
      pendingFault = fault
      child.kill('SIGKILL')
      return
    }
    post({ type: 'appsError', message: err.message })
  })
}

function restart() {
  generation++
  if (restartTimer) clearTimeout(restartTimer)
  if (stallTimer) clearTimeout(stallTimer)
  batch = []
  const old = child
  child = undefined
  old?.kill('SIGTERM')
  startChild()
}

/** @param {() => void} done */
function stop(done) {
  stopping = true
  for (const t of [restartTimer, appsTimer, flushTimer, stallTimer]) if (t) clearTimeout(t)
  const proc = child
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return done()
  const force = setTimeout(() => proc.kill('SIGKILL'), 1500)
  proc.once('close', () => {
    clearTimeout(force)
    done()
  })
  proc.kill('SIGTERM')
}

port.on('message', (/** @type {import('./types').ToWorker} */ msg) => {
  if (msg.type === 'stop') {
    stop(() => post({ type: 'stopped' }))
    return
  }
  const prev = config
  config = msg
  backoff = new Backoff(msg.backoff)
  if (appsTimer) clearInterval(appsTimer)
  appsTimer = setInterval(queryApps, msg.appsEveryMs)
  if (!prev || prev.smiPath !== msg.smiPath || prev.intervalMs !== msg.intervalMs) restart()
})
