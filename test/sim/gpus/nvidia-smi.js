#!/usr/bin/env node
// @ts-check
/**
 * Stand-in `nvidia-smi` over the simulated GPU state (see state.js). Answers the forms InferAdmin and
 * systeminformation use, in the real output format (vllm-facts §5): `--query-gpu=… --format=csv[,noheader][,nounits]`,
 * `--query-compute-apps=pid,gpu_uuid,used_memory`, `-l N` / `-lms N` loops, `-L`, `-i`, the plain table,
 * and the real failure messages and exit codes of the fault switches. Output shapes, error messages, streams and
 * exit codes are checked against a real H200's (test/fixtures/nvidia-smi/h200-driver-580, test/sim/nvidia-smi-real.test.ts).
 *
 * On the host it reads INFERADMIN_SIM_GPU_DIR (default <sim dir>/gpus) and shows host PIDs; inside a
 * container (where the stand-in runtime hook injected it) it shows only the attached GPUs, renumbered from 0.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CONTAINER_GPU_DIR, CONTAINER_INFO_DIR, resolveSimDir } from '../config.js'
import { listAllocations, readings, readState } from './state.js'
import { headerLine, parseFormat, resolveAppFields, resolveGpuFields, valueLine } from './smi-fields.js'
import { table } from './smi-table.js'

/** @typedef {import('./state.js').GpuReading} GpuReading */

/**
 * @typedef {object} Io
 * @property {NodeJS.ProcessEnv} env
 * @property {(s: string) => void} out
 * @property {(s: string) => void} err
 * @property {AbortSignal} [signal] ends loop mode
 */

/** Real options and subcommands the stand-in does not answer (it says so instead of pretending they do not exist). */
const NOT_SIMULATED = new Set([
  '-q',
  '--query',
  '-x',
  '--xml-format',
  '-d',
  '--display',
  '-f',
  '--filename',
  '--help-query-gpu',
  '--help-query-compute-apps',
  'topo',
  'pmon',
  'dmon',
  'nvlink',
  'mig',
  'clocks',
  'vgpu',
])
const SUPPORTED = '-L, -i ID, --query-gpu=FIELDS, --query-compute-apps=FIELDS, --format=csv[,noheader][,nounits], -l SEC, -lms MS, -h'

/** @param {string[]} argv */
function parseArgs(argv) {
  /**
   * @type {{queryGpu?: string, queryApps?: string, format?: string, id?: string, list: boolean, loopMs?: number,
   *   help: boolean, unknown?: string, notSimulated?: string}}
   */
  const o = { list: false, help: false }
  for (let i = 0; i < argv.length; i++) {
    const a = /** @type {string} */ (argv[i])
    const eq = a.indexOf('=')
    const [k, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined]
    const val = () => inline ?? argv[++i]
    switch (k) {
      case '--query-gpu':
        o.queryGpu = val()
        break
      case '--query-compute-apps':
        o.queryApps = val()
        break
      case '--format':
        o.format = val()
        break
      case '-i':
      case '--id':
        o.id = val()
        break
      case '-L':
      case '--list-gpus':
        o.list = true
        break
      case '-l':
      case '--loop':
        o.loopMs = Number(val() ?? 5) * 1000
        break
      case '-lms':
      case '--loop-ms':
        o.loopMs = Number(val() ?? 1000)
        break
      case '-h':
      case '--help':
        o.help = true
        break
      default:
        if (NOT_SIMULATED.has(k)) o.notSimulated ??= k
        else o.unknown ??= a
    }
  }
  return o
}

/** @param {NodeJS.ProcessEnv} env */
function context(env) {
  const infoFile = join(CONTAINER_INFO_DIR, 'container.json')
  if (!env.INFERADMIN_SIM_GPU_DIR && existsSync(infoFile)) {
    /** @type {{visible: string[]}} */
    const info = JSON.parse(readFileSync(infoFile, 'utf8'))
    return { gpuDir: CONTAINER_GPU_DIR, visible: info.visible, inContainer: true }
  }
  return { gpuDir: env.INFERADMIN_SIM_GPU_DIR || join(resolveSimDir(env), 'gpus'), visible: null, inContainer: false }
}

/**
 * One snapshot of the driver, as this nvidia-smi sees it.
 * @param {ReturnType<typeof context>} ctx
 */
function snapshot(ctx) {
  const state = readState(ctx.gpuDir)
  // Inside a container the driver counts every allocation but cannot show other PID namespaces' processes.
  const allocations = listAllocations(ctx.gpuDir, { verify: ctx.inContainer ? 'trust' : 'host' })
  let rs = readings(state, allocations)
  if (ctx.visible) {
    const vis = ctx.visible
    rs = rs.filter((r) => vis.includes(r.spec.uuid)).map((r, index) => ({ ...r, spec: { ...r.spec, index } }))
  }
  return { state, allocations: ctx.inContainer ? [] : allocations, readings: rs }
}

/** @param {GpuReading} r */
const lostLine = (r) =>
  `Unable to determine the device handle for GPU${r.spec.busId.slice(4)}: GPU is lost.  Reboot the system to recover this GPU`

/**
 * @param {string[]} argv
 * @param {Io} io
 * @returns {Promise<number>} exit code
 */
export async function main(argv, io) {
  const o = parseArgs(argv)
  if (o.help) {
    io.out('NVIDIA System Management Interface -- v570.124.06 (InferAdmin simulation)\n\n' + `Supported here: ${SUPPORTED}\n`)
    return 0
  }
  // The real tool's argument errors: all on stdout (fixtures badopt, badid-uuid, badformat).
  if (o.notSimulated) {
    io.err(`nvidia-smi (InferAdmin simulation): ${o.notSimulated} is not simulated. Supported: ${SUPPORTED}\n`)
    return 2
  }
  if (o.unknown) {
    io.out(`ERROR: Option ${o.unknown} is not recognized. Please run 'nvidia-smi -h'.\n\n`)
    return 255
  }
  if (o.list && o.id !== undefined) {
    io.out(`ERROR: Option -i is not valid for this command. Please run 'nvidia-smi -h' for help.\n\n`)
    return 2
  }
  const ctx = context(io.env)
  const first = snapshot(ctx)
  switch (first.state.fault.kind) {
    case 'not-installed':
      io.err('nvidia-smi: command not found\n')
      return 127
    case 'driver-not-loaded':
      io.out(
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n",
      )
      return 9
    case 'mismatch':
      io.out('Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 570.133\n')
      return 18
    case 'no-devices':
      io.out('No devices were found\n')
      return 6
    default:
  }
  if (o.queryGpu !== undefined) {
    const r = resolveGpuFields(o.queryGpu)
    if ('invalid' in r) {
      io.out(`Field "${r.invalid}" is not a valid field to query.\n\n`)
      return 2
    }
  }
  if (o.queryApps !== undefined) {
    const r = resolveAppFields(o.queryApps)
    if ('invalid' in r) {
      io.out(`Field "${r.invalid}" is not a valid field to query.\n\n`)
      return 2
    }
  }
  const fmt = parseFormat(o.format)
  if (!fmt) {
    io.out('Format modifier is not recognized.\n')
    return 2
  }
  let code = 0
  let iteration = 0
  for (;;) {
    const snap = iteration === 0 ? first : snapshot(ctx)
    let rs = snap.readings
    if (o.id !== undefined) {
      const id = o.id
      rs = rs.filter((x) => String(x.spec.index) === id || x.spec.uuid === id || x.spec.busId === id)
      if (rs.length === 0) {
        io.out(`No devices were found\n`)
        return 6
      }
    }
    const now = new Date()
    /** @type {string[]} */
    const lines = []
    if (o.list) {
      for (const x of rs) lines.push(x.lost ? lostLine(x) : `GPU ${x.spec.index}: ${x.spec.name} (UUID: ${x.spec.uuid})`)
    } else if (o.queryGpu !== undefined) {
      const r = resolveGpuFields(o.queryGpu)
      if ('fields' in r) {
        if (fmt.header && iteration === 0) lines.push(headerLine(r.fields))
        for (const x of rs) {
          if (x.lost) {
            lines.push(lostLine(x))
            code = 15
            continue
          }
          const c = { state: snap.state, count: rs.length, now }
          lines.push(
            valueLine(
              r.fields,
              r.fields.map((f) => f.get(x, c)),
              fmt,
            ),
          )
        }
      }
    } else if (o.queryApps !== undefined) {
      const r = resolveAppFields(o.queryApps)
      if ('fields' in r) {
        if (fmt.header && iteration === 0) lines.push(headerLine(r.fields))
        for (const a of snap.allocations) {
          for (const g of a.gpus) {
            const x = rs.find((y) => y.spec.uuid === g.uuid)
            if (!x || x.lost || a.hostPid === null) continue
            const row = { a, spec: x.spec, usedMiB: g.usedMiB, pid: a.hostPid }
            lines.push(
              valueLine(
                r.fields,
                r.fields.map((f) => f.get(row, { now })),
                fmt,
              ),
            )
          }
        }
      }
    } else {
      lines.push(table(snap.state, rs, snap.allocations, now))
      if (rs.some((x) => x.lost)) code = 15
    }
    if (lines.length) io.out(lines.join('\n') + '\n')
    iteration++
    if (o.loopMs === undefined || !(o.loopMs > 0)) return code
    const stop = await new Promise((res) => {
      const t = setTimeout(() => res(false), o.loopMs)
      io.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t)
          res(true)
        },
        { once: true },
      )
    })
    if (stop || io.signal?.aborted) return 0
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href
if (invokedDirectly) await runAsCommand()

/** Run with the process's argv and streams; exits with nvidia-smi's code. */
export async function runAsCommand() {
  const ac = new AbortController()
  for (const s of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(s, () => ac.abort())
  process.stdout.on('error', () => process.exit(0)) // reader went away (e.g. `| head`)
  try {
    const code = await main(process.argv.slice(2), {
      env: process.env,
      out: (s) => process.stdout.write(s),
      err: (s) => process.stderr.write(s),
      signal: ac.signal,
    })
    process.exitCode = code
  } catch (e) {
    // A missing state directory looks like a machine without the driver.
    process.stdout.write(
      `NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n`,
    )
    process.stderr.write(`(simulation: ${/** @type {Error} */ (e).message})\n`)
    process.exitCode = 9
  }
}
