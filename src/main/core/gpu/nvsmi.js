// @ts-check
// nvidia-smi CSV parsing and failure classification. Plain JavaScript so the sampler worker runs the
// same file from source (tests) and from the build (bundled into out/main/gpu-worker.js).
// Output format: vllm-facts §5 (`value, value, …`, no header, no units; `[N/A]`/`[Not Supported]` → null).

/** Fields of the loop query, in order. */
export const GPU_FIELDS = /** @type {const} */ ([
  'index',
  'uuid',
  'name',
  'memory.total',
  'memory.used',
  'memory.free',
  'utilization.gpu',
  'power.draw',
  'power.limit',
  'temperature.gpu',
  'driver_version',
])

/**
 * Arguments of the one long-lived sampling process.
 * @param {number} intervalMs
 * @returns {string[]}
 */
export function loopArgs(intervalMs) {
  return [`--query-gpu=${GPU_FIELDS.join(',')}`, '--format=csv,noheader,nounits', '-lms', String(Math.round(intervalMs))]
}

/** Arguments of the (slower, one-shot) compute-apps query. */
export const APPS_ARGS = ['--query-compute-apps=pid,gpu_uuid,used_memory', '--format=csv,noheader,nounits']

/**
 * A field value, or null for what the driver cannot report (`[N/A]`, `[Not Supported]`, `N/A`, empty).
 * @param {string | undefined} raw
 * @returns {string | null}
 */
export function fieldValue(raw) {
  const v = (raw ?? '').trim()
  if (v === '' || v.startsWith('[') || /^n\/a$/i.test(v)) return null
  return v
}

/**
 * @param {string | undefined} raw
 * @returns {number | null}
 */
function numberValue(raw) {
  const v = fieldValue(raw)
  if (v === null) return null
  const n = Number(v)
  return Number.isFinite(n) ? n : null
}

/**
 * One row of the loop query, or null when the line is not one (error text, blank, wrong field count).
 * @param {string} line
 * @returns {import('./types').GpuRow | null}
 */
export function parseGpuLine(line) {
  const f = line.split(',').map((s) => s.trim())
  if (f.length !== GPU_FIELDS.length) return null
  const index = Number(f[0])
  const uuid = f[1] ?? ''
  if (!Number.isInteger(index) || index < 0 || !/^(GPU|MIG)-/.test(uuid)) return null
  return {
    index,
    uuid,
    name: fieldValue(f[2]) ?? `GPU ${index}`,
    memoryTotalMiB: numberValue(f[3]),
    memoryUsedMiB: numberValue(f[4]),
    memoryFreeMiB: numberValue(f[5]),
    utilizationPct: numberValue(f[6]),
    powerDrawW: numberValue(f[7]),
    powerLimitW: numberValue(f[8]),
    temperatureC: numberValue(f[9]),
    driverVersion: fieldValue(f[10]),
  }
}

/**
 * Output of the compute-apps query → processes (pid, GPU, MiB). Lines that are not rows are skipped.
 * @param {string} text
 * @returns {import('./types').ComputeApp[]}
 */
export function parseComputeApps(text) {
  /** @type {import('./types').ComputeApp[]} */
  const apps = []
  for (const line of text.split('\n')) {
    const f = line.split(',').map((s) => s.trim())
    if (f.length !== 3) continue
    const pid = Number(f[0])
    const gpuUuid = f[1] ?? ''
    if (!Number.isInteger(pid) || pid <= 0 || !/^(GPU|MIG)-/.test(gpuUuid)) continue
    apps.push({ pid, gpuUuid, usedMiB: numberValue(f[2]) ?? 0 })
  }
  return apps
}

/**
 * What to tell the user for each failure, matched on nvidia-smi's own words (vllm-facts §5).
 * @type {{kind: import('./types').FaultKind, match: RegExp, fix: string}[]}
 */
const KNOWN_FAULTS = [
  {
    kind: 'driver-mismatch',
    match: /driver\/library version mismatch/i,
    fix: 'The NVIDIA driver was upgraded but the old kernel module is still loaded: reboot the machine.',
  },
  {
    kind: 'driver-not-loaded',
    match: /couldn't communicate with the nvidia driver|nvidia driver is not loaded|driver not loaded/i,
    fix: 'Load the NVIDIA kernel module (`sudo modprobe nvidia`); if that fails, (re)install the driver (e.g. `sudo apt install nvidia-driver-570`) and reboot — with Secure Boot on, enroll the module key.',
  },
  {
    kind: 'gpu-lost',
    match: /gpu is lost|gpu has fallen off the bus/i,
    fix: 'A GPU stopped responding (power, heat or a driver Xid): look at `sudo dmesg | grep -i xid`, check its power cables, then reboot the machine.',
  },
  {
    kind: 'no-gpu',
    match: /no devices were found|no nvidia gpu/i,
    fix: 'No NVIDIA GPU is visible: check `lspci | grep -i nvidia`, that the card is seated and powered, and that the installed driver supports it.',
  },
]

export const MISSING_FIX =
  'Install the NVIDIA driver (it provides nvidia-smi), e.g. `sudo ubuntu-drivers install` or `sudo apt install nvidia-driver-570`, or set INFERADMIN_NVIDIA_SMI to the full path of nvidia-smi.'

/**
 * Classifies a failed nvidia-smi run from its output, exit code and spawn error.
 * @param {{ output: string, exitCode: number | null, spawnError?: string | null, path: string }} run
 * @returns {import('./types').FaultInfo}
 */
export function classifyFault(run) {
  const text = run.output.trim()
  if (run.spawnError === 'ENOENT' || run.exitCode === 127) {
    return {
      kind: 'nvidia-smi-missing',
      message:
        text && run.spawnError !== 'ENOENT'
          ? firstLines(text)
          : run.path.includes('/')
            ? `nvidia-smi was not found at ${run.path}.`
            : `${run.path} was not found on PATH.`,
      fix: MISSING_FIX,
      exitCode: run.exitCode,
    }
  }
  for (const f of KNOWN_FAULTS) {
    if (f.match.test(text)) return { kind: f.kind, message: firstLines(relevant(text, f.match)), fix: f.fix, exitCode: run.exitCode }
  }
  if (run.exitCode === 9)
    return {
      kind: 'driver-not-loaded',
      message: text ? firstLines(text) : 'NVIDIA driver is not loaded (nvidia-smi exit code 9).',
      fix: KNOWN_FAULTS[1]?.fix ?? '',
      exitCode: 9,
    }
  if (run.exitCode === 6)
    return {
      kind: 'no-gpu',
      message: text ? firstLines(text) : 'No devices were found (nvidia-smi exit code 6).',
      fix: KNOWN_FAULTS[3]?.fix ?? '',
      exitCode: 6,
    }
  if (run.exitCode === 15)
    return {
      kind: 'gpu-lost',
      message: text ? firstLines(text) : 'GPU is lost (nvidia-smi exit code 15).',
      fix: KNOWN_FAULTS[2]?.fix ?? '',
      exitCode: 15,
    }
  const why = run.spawnError
    ? `could not start ${run.path}: ${run.spawnError}`
    : `nvidia-smi exited with code ${run.exitCode ?? 'none (killed)'}`
  return {
    kind: 'nvidia-smi-failed',
    message: text ? `${firstLines(text)} (${why})` : `${why} without printing a GPU.`,
    fix: 'Run `nvidia-smi` in a terminal to see the error; if it works there, check that INFERADMIN_NVIDIA_SMI points at it and that this user may run it.',
    exitCode: run.exitCode,
  }
}

/**
 * Whether a non-row line announces a fault (so it is reported while the process still runs).
 * @param {string} line
 * @returns {boolean}
 */
export function isFaultLine(line) {
  return KNOWN_FAULTS.some((f) => f.match.test(line))
}

/** @param {string} text @param {RegExp} match */
function relevant(text, match) {
  const lines = text.split('\n')
  const i = lines.findIndex((l) => match.test(l))
  return i >= 0 ? lines.slice(i, i + 2).join('\n') : text
}

/** @param {string} text */
function firstLines(text) {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const out = lines.slice(0, 3).join(' ')
  return out.length > 400 ? `${out.slice(0, 397)}…` : out
}
