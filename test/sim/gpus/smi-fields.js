// @ts-check
/**
 * `--query-gpu` / `--query-compute-apps` fields of the stand-in nvidia-smi, in the real CSV format
 * (vllm-facts §5): values joined by ", ", units in the header as `name [unit]`, values with units
 * unless `nounits`, unsupported values `[N/A]`.
 */

import { maxMemClock } from './state.js'

/** @typedef {import('./state.js').GpuReading} GpuReading */
/** @typedef {import('./state.js').GpuState} GpuState */
/** @typedef {import('./state.js').LiveAllocation} LiveAllocation */

/**
 * @typedef {object} Field
 * @property {string} header   canonical name printed in the header
 * @property {string} [unit]   MiB, %, W, MHz
 * @property {(r: GpuReading, ctx: {state: GpuState, count: number, now: Date}) => string | number | null} get  null → [N/A]
 */

const NA = null

/** @param {Date} d */
export function smiTimestamp(d) {
  const p = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0')
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
}

const w2 = (/** @type {number} */ n) => n.toFixed(2)

/** @type {Record<string, Field>} */
const GPU = {
  timestamp: { header: 'timestamp', get: (_r, c) => smiTimestamp(c.now) },
  driver_version: { header: 'driver_version', get: (_r, c) => c.state.profile.driverVersion },
  count: { header: 'count', get: (_r, c) => c.count },
  name: { header: 'name', get: (r) => r.spec.name },
  serial: { header: 'serial', get: (r) => r.spec.serial },
  uuid: { header: 'uuid', get: (r) => r.spec.uuid },
  index: { header: 'index', get: (r) => r.spec.index },
  'pci.bus_id': { header: 'pci.bus_id', get: (r) => r.spec.busId },
  'pci.domain': { header: 'pci.domain', get: (r) => `0x${r.spec.busId.slice(0, 8)}` },
  'pci.bus': { header: 'pci.bus', get: (r) => `0x${r.spec.busId.slice(9, 11)}` },
  'pci.device_id': {
    header: 'pci.device_id',
    get: (r) => r.spec.deviceId ?? (r.spec.memoryTotalMiB > 40000 ? '0x233010DE' : '0x268410DE'),
  },
  'pci.sub_device_id': { header: 'pci.sub_device_id', get: (r) => r.spec.subDeviceId },
  display_mode: { header: 'display_mode', get: (r) => (r.spec.baseUsedMiB > 100 ? 'Enabled' : 'Disabled') },
  display_active: { header: 'display_active', get: (r) => (r.spec.baseUsedMiB > 100 ? 'Enabled' : 'Disabled') },
  persistence_mode: { header: 'persistence_mode', get: () => 'Enabled' },
  pstate: { header: 'pstate', get: (r) => r.pstate },
  vbios_version: { header: 'vbios_version', get: (r) => r.spec.vbios },
  compute_mode: { header: 'compute_mode', get: () => 'Default' },
  compute_cap: { header: 'compute_cap', get: (r) => r.spec.computeCapability },
  'mig.mode.current': { header: 'mig.mode.current', get: (r) => (r.spec.memoryTotalMiB > 40000 ? 'Disabled' : NA) },
  'fan.speed': { header: 'fan.speed', unit: '%', get: (r) => r.fanPct },
  'memory.total': { header: 'memory.total', unit: 'MiB', get: (r) => r.spec.memoryTotalMiB },
  'memory.reserved': { header: 'memory.reserved', unit: 'MiB', get: (r) => r.spec.reservedMiB },
  'memory.used': { header: 'memory.used', unit: 'MiB', get: (r) => r.usedMiB },
  'memory.free': { header: 'memory.free', unit: 'MiB', get: (r) => r.freeMiB },
  'utilization.gpu': { header: 'utilization.gpu', unit: '%', get: (r) => r.utilPct },
  'utilization.memory': { header: 'utilization.memory', unit: '%', get: (r) => r.memUtilPct },
  'temperature.gpu': { header: 'temperature.gpu', get: (r) => r.tempC },
  'temperature.memory': { header: 'temperature.memory', get: (r) => (r.spec.memoryTempSupported ? r.tempC + 4 : NA) },
  'power.draw': { header: 'power.draw', unit: 'W', get: (r) => w2(r.powerW) },
  'power.draw.instant': { header: 'power.draw.instant', unit: 'W', get: (r) => w2(r.powerW) },
  'power.limit': { header: 'power.limit', unit: 'W', get: (r) => w2(r.spec.powerLimitW) },
  'enforced.power.limit': { header: 'enforced.power.limit', unit: 'W', get: (r) => w2(r.spec.powerLimitW) },
  'power.default_limit': { header: 'power.default_limit', unit: 'W', get: (r) => w2(r.spec.powerLimitW) },
  'power.max_limit': { header: 'power.max_limit', unit: 'W', get: (r) => w2(r.spec.powerLimitW) },
  'clocks.gr': { header: 'clocks.current.graphics', unit: 'MHz', get: (r) => r.clockGrMHz },
  'clocks.sm': { header: 'clocks.current.sm', unit: 'MHz', get: (r) => r.clockGrMHz },
  'clocks.mem': { header: 'clocks.current.memory', unit: 'MHz', get: (r) => r.clockMemMHz },
  'clocks.max.gr': { header: 'clocks.max.graphics', unit: 'MHz', get: (r) => r.spec.clockMaxGrMHz },
  'clocks.max.sm': { header: 'clocks.max.sm', unit: 'MHz', get: (r) => r.spec.clockMaxGrMHz },
  'clocks.max.mem': { header: 'clocks.max.memory', unit: 'MHz', get: (r) => maxMemClock(r.spec) },
}
/** Aliases accepted by the real tool (`--help-query-gpu`: `"name" or "alias"`; the header shows the name). */
const GPU_ALIASES = {
  gpu_name: 'name',
  gpu_serial: 'serial',
  gpu_uuid: 'uuid',
  gpu_bus_id: 'pci.bus_id',
  'clocks.current.graphics': 'clocks.gr',
  'clocks.current.sm': 'clocks.sm',
  'clocks.current.memory': 'clocks.mem',
  'clocks.max.graphics': 'clocks.max.gr',
  'clocks.max.memory': 'clocks.max.mem',
  'gpu.power.requested_limit': 'power.limit',
  'gpu.power.current_limit': 'enforced.power.limit',
  'gpu.power.default_limit': 'power.default_limit',
  'gpu.power.max_limit': 'power.max_limit',
  'gpu.power.draw.instant': 'power.draw.instant',
}

/**
 * @typedef {object} AppRow
 * @property {LiveAllocation} a
 * @property {import('./profiles.js').GpuSpec} spec
 * @property {number} usedMiB
 * @property {number} pid      PID as this nvidia-smi sees it
 */
/** @type {Record<string, {header: string, unit?: string, get: (r: AppRow, ctx: {now: Date}) => string | number | null}>} */
const APP = {
  timestamp: { header: 'timestamp', get: (_r, c) => smiTimestamp(c.now) },
  pid: { header: 'pid', get: (r) => r.pid },
  process_name: { header: 'process_name', get: (r) => r.a.processName },
  gpu_name: { header: 'gpu_name', get: (r) => r.spec.name },
  gpu_uuid: { header: 'gpu_uuid', get: (r) => r.spec.uuid },
  gpu_bus_id: { header: 'gpu_bus_id', get: (r) => r.spec.busId },
  gpu_serial: { header: 'gpu_serial', get: (r) => r.spec.serial },
  used_memory: { header: 'used_gpu_memory', unit: 'MiB', get: (r) => r.usedMiB },
}
const APP_ALIASES = { used_gpu_memory: 'used_memory', name: 'process_name' }

/**
 * @template T
 * @param {string} list comma-separated field names as given on the command line
 * @param {Record<string, T>} table
 * @param {Record<string, string>} aliases
 * @returns {{fields: T[]} | {invalid: string}}
 */
function resolveFields(list, table, aliases) {
  /** @type {T[]} */
  const fields = []
  for (const raw of list.split(',')) {
    const name = raw.trim()
    const f = table[/** @type {keyof typeof aliases} */ (name) in aliases ? /** @type {string} */ (aliases[name]) : name]
    if (!name || !f) return { invalid: name }
    fields.push(f)
  }
  return { fields }
}

/** Every name the stand-in accepts, aliases included. */
export const GPU_FIELD_NAMES = [...Object.keys(GPU), ...Object.keys(GPU_ALIASES)]
export const APP_FIELD_NAMES = [...Object.keys(APP), ...Object.keys(APP_ALIASES)]

/** @param {string} list */
export const resolveGpuFields = (list) => resolveFields(list, GPU, GPU_ALIASES)
/** @param {string} list */
export const resolveAppFields = (list) => resolveFields(list, APP, APP_ALIASES)

/**
 * @typedef {{csv: boolean, header: boolean, units: boolean}} CsvFormat
 */

/**
 * @param {string | undefined} spec e.g. "csv,noheader,nounits"
 * @returns {CsvFormat | null} null for a modifier the real tool rejects ("Format modifier is not recognized.")
 */
export function parseFormat(spec) {
  const parts = (spec ?? 'csv').split(',').map((s) => s.trim())
  if (parts.some((p) => !['csv', 'noheader', 'nounits'].includes(p))) return null
  return { csv: parts.includes('csv'), header: !parts.includes('noheader'), units: !parts.includes('nounits') }
}

/**
 * @param {{header: string, unit?: string}[]} fields
 */
export function headerLine(fields) {
  return fields.map((f) => (f.unit ? `${f.header} [${f.unit}]` : f.header)).join(', ')
}

/**
 * @param {{unit?: string}[]} fields
 * @param {(string | number | null)[]} values
 * @param {CsvFormat} fmt
 */
export function valueLine(fields, values, fmt) {
  return values
    .map((v, i) => {
      if (v === null || v === undefined) return '[N/A]'
      const unit = fields[i]?.unit
      return fmt.units && unit ? `${v} ${unit}` : String(v)
    })
    .join(', ')
}
