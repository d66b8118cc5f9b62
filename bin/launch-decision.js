// @ts-check
/**
 * `inferadmin start`: desktop (Electron) or headless server? The decision is a pure function of facts
 * gathered by `probeElectron` and the environment, so it can be tested without Electron or a display.
 */
import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * @typedef {{ ok: true, path: string } | { ok: false, reason: string, fix?: string }} ElectronStatus
 * @typedef {{ mode: 'desktop', electronPath: string } | { mode: 'headless', reason: string, fix: string | null }} LaunchDecision
 */

/** What to do on a machine without a display: nothing is wrong, headless is how InferAdmin runs there. */
export const NO_DISPLAY_ADVICE =
  'That is the expected mode on a machine without a display: open the URL printed below in a browser ' +
  '(`npm run serve` starts the headless server directly).'

/** The Node version Electron's installer (@electron/get) declares it needs. */
const ELECTRON_NODE = [22, 12]

/**
 * How to get the Electron binary: Electron (≥ 36) downloads it on first use, not at `npm install`.
 * @param {string} nodeVersion e.g. "20.20.2"
 */
export function electronDownloadAdvice(nodeVersion) {
  const [major = 0, minor = 0] = nodeVersion.split('.').map(Number)
  const oldNode = major < ELECTRON_NODE[0] || (major === ELECTRON_NODE[0] && minor < ELECTRON_NODE[1])
  const parts = ['To get the desktop app, download the Electron binary with `npx install-electron` (needs internet access)']
  if (oldNode) parts.push(`; Electron's installer wants Node ${ELECTRON_NODE.join('.')} or newer (this is Node ${nodeVersion})`)
  parts.push(', then run `npm start` again. Or keep the headless server: `npm run serve`.')
  return parts.join('')
}

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
  if (forceHeadless) return { mode: 'headless', reason: 'Headless requested (--headless)', fix: null }
  // Without a display the Electron binary does not matter: headless is the mode, not a fallback.
  const display = displayProblem(platform, env)
  if (display) return { mode: 'headless', reason: display, fix: NO_DISPLAY_ADVICE }
  if (!electron.ok) return { mode: 'headless', reason: electron.reason, fix: electron.fix ?? null }
  return { mode: 'desktop', electronPath: electron.path }
}

/**
 * Is the Electron binary usable? Mirrors how the `electron` package finds its binary (path.txt under the
 * package, or ELECTRON_OVERRIDE_DIST_PATH) without requiring the package: since Electron 36 its
 * index.js tries to download a missing binary, which must not happen when we only ask.
 * @param {{ packageDir: string, env?: Record<string, string | undefined>, timeoutMs?: number, nodeVersion?: string }} opts
 * @returns {ElectronStatus}
 */
export function probeElectron({ packageDir, env = process.env, timeoutMs = 15_000, nodeVersion = process.versions.node }) {
  if (!existsSync(join(packageDir, 'package.json'))) {
    return {
      ok: false,
      reason: 'Electron is not installed (no node_modules/electron)',
      fix: 'Run `npm install` in the InferAdmin folder, then `npm start` again.',
    }
  }
  const download = electronDownloadAdvice(nodeVersion)
  const pathFile = join(packageDir, 'path.txt')
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : ''
  let binary
  if (env.ELECTRON_OVERRIDE_DIST_PATH) binary = join(env.ELECTRON_OVERRIDE_DIST_PATH, name || 'electron')
  else if (!name)
    return {
      ok: false,
      reason: 'Electron binary is not installed (not downloaded yet, or the download failed: node_modules/electron/path.txt is missing)',
      fix: download,
    }
  else binary = join(packageDir, 'dist', name)

  if (!existsSync(binary)) return { ok: false, reason: `Electron binary is not installed (${binary} is missing)`, fix: download }
  try {
    accessSync(binary, constants.X_OK)
  } catch {
    return {
      ok: false,
      reason: `Electron binary is not executable (${binary})`,
      fix: `Run \`chmod +x ${binary}\`, then \`npm start\` again.`,
    }
  }
  const childEnv = { ...env }
  delete childEnv.ELECTRON_RUN_AS_NODE
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: timeoutMs, env: childEnv })
  if (run.error || run.status !== 0) {
    const detail = run.error ? run.error.message : `exit code ${run.status}${firstLine(run.stderr)}`
    const fix =
      'On Linux Electron needs the libraries a desktop browser needs (e.g. `apt-get install libnss3 libgtk-3-0 libasound2`); ' +
      'or keep the headless server: `npm run serve`.'
    return { ok: false, reason: `Electron binary does not run (\`electron --version\`: ${detail})`, fix }
  }
  return { ok: true, path: binary }
}

/** @param {string | undefined} text */
function firstLine(text) {
  const line = (text ?? '').split('\n').find((l) => l.trim() !== '')
  return line ? `: ${line.trim()}` : ''
}
