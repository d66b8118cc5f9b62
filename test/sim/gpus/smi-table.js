// @ts-check
/**
 * The plain `nvidia-smi` table, for humans trying the simulation. Layout of the 5xx drivers as captured on a
 * real H200 with driver 580 (test/fixtures/nvidia-smi/h200-driver-580/banner*.out); drivers before 580 draw the
 * line under the version row with `|` and separate the two tables with a line of spaces (public 550/570 output).
 */

/** @typedef {import('./state.js').GpuReading} GpuReading */
/** @typedef {import('./state.js').GpuState} GpuState */
/** @typedef {import('./state.js').LiveAllocation} LiveAllocation */

const L = (/** @type {string} */ s, /** @type {number} */ n) => s.slice(0, n).padEnd(n)
const R = (/** @type {string} */ s, /** @type {number} */ n) => s.slice(0, n).padStart(n)

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
/** C's asctime(): `Fri Dec  4 16:42:05 2026` (day padded with a space). @param {Date} d */
export function asctime(d) {
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0')
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${R(String(d.getDate()), 2)} ${time} ${d.getFullYear()}`
}

/**
 * @param {GpuState} state
 * @param {GpuReading[]} rs
 * @param {LiveAllocation[]} allocations
 * @param {Date} now
 */
export function table(state, rs, allocations, now) {
  const d = state.profile.driverVersion
  const r580 = Number(d.split('.')[0]) >= 580
  const bar = `+${'-'.repeat(41)}+${'-'.repeat(24)}+${'-'.repeat(22)}+`
  const out = [
    `${asctime(now)}       `,
    `+${'-'.repeat(89)}+`,
    `| ${L(`NVIDIA-SMI ${d}`, 34)}${L(`Driver Version: ${d}`, 31)}${L(`CUDA Version: ${state.profile.cudaVersion}`, 23)}|`,
    `${r580 ? '+' : '|'}${'-'.repeat(41)}+${'-'.repeat(24)}+${'-'.repeat(22)}+`,
    '| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |',
    '| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |',
    '|                                         |                        |               MIG M. |',
    `|${'='.repeat(41)}+${'='.repeat(24)}+${'='.repeat(22)}|`,
  ]
  for (const r of rs) {
    const s = r.spec
    if (r.lost) {
      out.push(`| ${L(`  ${s.index}  ${s.name}`, 39)} | ${R(`${s.busId}  Off`, 22)} | ${R('ERR!', 20)} |`)
      out.push(`| ${L('ERR!  ERR! ERR!             ERR! /  ERR!', 39)} | ${R('GPU is lost', 22)} | ${R('ERR!      ERR!', 20)} |`)
    } else {
      const disp = s.baseUsedMiB > 100 ? 'On' : 'Off'
      const ecc = s.serial ? '0' : 'Off'
      out.push(`| ${R(String(s.index), 3)}  ${L(s.name, 30)} ${L('On', 3)} | ${R(`${s.busId} ${R(disp, 3)}`, 22)} | ${R(ecc, 20)} |`)
      const fan = r.fanPct === null ? 'N/A' : `${r.fanPct}%`
      const pwr = `${Math.round(r.powerW)}W / ${R(`${s.powerLimitW}W`, 5)}`
      const mem = `${r.usedMiB}MiB / ${R(`${s.memoryTotalMiB}MiB`, 9)}`
      const util = `${R(`${r.utilPct}%`, 7)}${R('Default', 13)}`
      out.push(`| ${R(fan, 3)}  ${R(`${r.tempC}C`, 4)}    ${L(r.pstate, 4)}${R(pwr, 22)} | ${R(mem, 22)} | ${util} |`)
      out.push(`| ${' '.repeat(39)} | ${' '.repeat(22)} | ${R(s.memoryTotalMiB > 40000 ? 'Disabled' : 'N/A', 20)} |`)
    }
    out.push(bar)
  }
  out.push(r580 ? '' : ' '.repeat(89), `+${'-'.repeat(89)}+`)
  out.push(`| ${L('Processes:', 88)}|`)
  out.push(`| ${L(' GPU   GI   CI              PID   Type   Process name                        GPU Memory', 88)}|`)
  out.push(`| ${L('       ID   ID                                                               Usage', 88)}|`)
  out.push(`|${'='.repeat(89)}|`)
  let any = false
  for (const a of allocations) {
    for (const g of a.gpus) {
      const r = rs.find((x) => x.spec.uuid === g.uuid)
      if (!r || a.hostPid === null) continue
      any = true
      const proc = `${R(String(a.hostPid), 15)}      C   ${L(a.processName, 36)}${R(`${g.usedMiB}MiB`, 10)}`
      out.push(`| ${R(String(r.spec.index), 4)}   N/A  N/A ${proc} |`)
    }
  }
  if (!any) out.push(`| ${L(' No running processes found', 88)}|`)
  out.push(`+${'-'.repeat(89)}+`)
  return out.join('\n')
}
