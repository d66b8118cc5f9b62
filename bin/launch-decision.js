// @ts-check
/**
 * `inferadmin start`: desktop (Electron) or headless server? The decision is a pure function of facts
 * gathered by `probeElectron` and the environment, so it can be tested without Electron or a display.
 */
import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * @typedef {{ ok: true, path: string } | { ok: false, reason: string }} ElectronStatus
 * @typedef {{ mode: 'desktop', electronPath: string } | { mode: 'headless', reason: string }} LaunchDecision
 */

/**
 * Why no desktop window can be shown, or null when one can.
 * @param {NodeJS.Platform} platform
 * @param {Record<string, string | undefined>} env
 * @returns {string | null}
 */
export function displayProblem(platform, env) {
  if (platform === 'darwin' || platform === 'win32') return null
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return null
  return 'No display (DISPLAY/WAYLAND_DISPLAY not set)'
}

/**
 * @param {{ platform: NodeJS.Platform, env: Record<string, string | undefined>, electron: ElectronStatus, forceHeadless?: boolean }} facts
 * @returns {LaunchDecision}
 */
export function decideLaunch({ platform, env, electron, forceHeadless = false }) {
  if (forceHeadless) return { mode: 'headless', reason: 'Headless requested (--headless)' }
  if (!electron.ok) return { mode: 'headless', reason: electron.reason }
  const display = displayProblem(platform, env)
  if (display) return { mode: 'headless', reason: display }
  return { mode: 'desktop', electronPath: electron.path }
}

/**
 * Is the Electron binary usable? Mirrors how the `electron` package finds its binary (path.txt under the
 * package, or ELECTRON_OVERRIDE_DIST_PATH) without requiring the package: since Electron 36 its
 * index.js tries to download a missing binary, which must not happen when we only ask.
 * @param {{ packageDir: string, env?: Record<string, string | undefined>, timeoutMs?: number }} opts
 * @returns {ElectronStatus}
 */
export function probeElectron({ packageDir, env = process.env, timeoutMs = 15_000 }) {
  if (!existsSync(join(packageDir, 'package.json'))) {
    return { ok: false, reason: 'Electron is not installed (no node_modules/electron; run `npm install`)' }
  }
  const pathFile = join(packageDir, 'path.txt')
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : ''
  let binary
  if (env.ELECTRON_OVERRIDE_DIST_PATH) binary = join(env.ELECTRON_OVERRIDE_DIST_PATH, name || 'electron')
  else if (!name)
    return {
      ok: false,
      reason: 'Electron binary is not installed (its download did not run or failed: node_modules/electron/path.txt is missing)',
    }
  else binary = join(packageDir, 'dist', name)

  if (!existsSync(binary)) return { ok: false, reason: `Electron binary is not installed (${binary} is missing)` }
  try {
    accessSync(binary, constants.X_OK)
  } catch {
    return { ok: false, reason: `Electron binary is not executable (${binary})` }
  }
  const childEnv = { ...env }
  delete childEnv.ELECTRON_RUN_AS_NODE
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: timeoutMs, env: childEnv })
  if (run.error || run.status !== 0) {
    const detail = run.error ? run.error.message : `exit code ${run.status}${firstLine(run.stderr)}`
    return { ok: false, reason: `Electron binary does not run (\`electron --version\`: ${detail})` }
  }
  return { ok: true, path: binary }
}

/** @param {string | undefined} text */
function firstLine(text) {
  const line = (text ?? '').split('\n').find((l) => l.trim() !== '')
  return line ? `: ${line.trim()}` : ''
}
