// @ts-check
/** The plain `nvidia-smi` table (layout of the 5xx drivers), for humans trying the simulation. */

/** @typedef {import('./state.js').GpuReading} GpuReading */
/** @typedef {import('./state.js').GpuState} GpuState */
/** @typedef {import('./state.js').LiveAllocation} LiveAllocation */

const L = (/** @type {string} */ s, /** @type {number} */ n) => s.slice(0, n).padEnd(n)
const R = (/** @type {string} */ s, /** @type {number} */ n) => s.slice(0, n).padStart(n)

/**
 * @param {GpuState} state
 * @param {GpuReading[]} rs
 * @param {LiveAllocation[]} allocations
 * @param {Date} now
 */
export function table(state, rs, allocations, now) {
  const d = state.profile.driverVersion
  const bar = `+${'-'.repeat(41)}+${'-'.repeat(24)}+${'-'.repeat(22)}+`
  const out = [
    `${now.toDateString().slice(0, 10)} ${now.toTimeString().slice(0, 8)} ${now.getFullYear()}       `,
    `+${'-'.repeat(89)}+`,
    `| ${L(`NVIDIA-SMI ${d}`, 34)}${L(`Driver Version: ${d}`, 31)}${L(`CUDA Version: ${state.profile.cudaVersion}`, 23)}|`,
    `|${'-'.repeat(41)}+${'-'.repeat(24)}+${'-'.repeat(22)}+`,
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
      out.push(`| ${R(String(s.index), 3)}  ${L(s.name, 26)}${R('On', 8)} | ${R(`${s.busId} ${R(disp, 3)}`, 22)} | ${R(s.serial ? '0' : 'Off', 20)} |`)
      const fan = r.fanPct === null ? 'N/A' : `${r.fanPct}%`
      const pwr = `${Math.round(r.powerW)}W / ${R(`${s.powerLimitW}W`, 5)}`
      out.push(`| ${R(fan, 3)}  ${R(`${r.tempC}C`, 4)}    ${L(r.pstate, 4)}${R(pwr, 21)} | ${R(`${r.usedMiB}MiB / ${R(`${s.memoryTotalMiB}MiB`, 9)}`, 22)} | ${R(`${r.utilPct}%`, 7)}${R('Default', 13)} |`)
      out.push(`| ${' '.repeat(39)} | ${' '.repeat(22)} | ${R(s.memoryTotalMiB > 40000 ? 'Disabled' : 'N/A', 20)} |`)
    }
    out.push(bar)
  }
  out.push('', `+${'-'.repeat(89)}+`)
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
      out.push(`| ${R(String(r.spec.index), 4)}   N/A  N/A  ${R(String(a.hostPid), 15)}      C   ${L(a.processName, 36)}${R(`${g.usedMiB}MiB`, 9)} |`)
    }
  }
  if (!any) out.push(`| ${L(' No running processes found', 88)}|`)
  out.push(`+${'-'.repeat(89)}+`)
  return out.join('\n')
}
