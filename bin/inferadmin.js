#!/usr/bin/env node
// @ts-check
/**
 * The `inferadmin` command (package bin; `npm start` runs `inferadmin start`).
 *   inferadmin start [--headless] [--host H] [--port P]   desktop app, or the headless server when it can't be
 *   inferadmin serve [--host H] [--port P] [--new-token]  headless server (see `inferadmin serve --help`)
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { decideLaunch, probeElectron } from './launch-decision.js'

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const BUILD_OUTPUTS = ['out/main/index.js', 'out/main/server.js', 'out/preload/index.cjs', 'out/renderer/index.html']

/** @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`inferadmin: ${message}\n`)
  process.exit(1)
}

/** Builds out/ with electron-vite when it is missing (fresh clone: `npm install && npm start`). */
function ensureBuilt() {
  const missing = BUILD_OUTPUTS.find((file) => !existsSync(join(appDir, file)))
  if (!missing) return
  const cli = join(appDir, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  if (!existsSync(cli)) fail('Run `npm install` and `npm run build` first (no build in out/ and electron-vite is not installed)')
  process.stderr.write(`inferadmin: no build yet (${missing} missing), running \`electron-vite build\`...\n`)
  // Build output goes to stderr so stdout carries only what the app prints (the server URL).
  const build = spawnSync(process.execPath, [cli, 'build'], { cwd: appDir, stdio: ['ignore', 2, 2] })
  if (build.status !== 0) fail('the build failed; run `npm run build` to see why')
}

/** @param {string[]} args */
async function serve(args) {
  ensureBuilt()
  /** @type {{ main(argv: string[]): Promise<void> }} */
  const server = await import(pathToFileURL(join(appDir, 'out', 'main', 'server.js')).href)
  await server.main(args)
}

/** @param {string} electronPath */
function runDesktop(electronPath) {
  ensureBuilt()
  const env = { ...process.env }
  delete env.ELECTRON_RUN_AS_NODE
  const child = spawn(electronPath, [appDir], { stdio: 'inherit', env })
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(signal, () => child.kill(signal))
  child.on('error', (err) => fail(`could not start Electron: ${err.message}`))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

/** @param {string[]} args */
async function start(args) {
  const forceHeadless = args.includes('--headless')
  const rest = args.filter((a) => a !== '--headless')
  const decision = decideLaunch({
    platform: process.platform,
    env: process.env,
    forceHeadless,
    electron: forceHeadless ? { ok: false, reason: 'not probed' } : probeElectron({ packageDir: join(appDir, 'node_modules', 'electron') }),
  })
  if (decision.mode === 'desktop') return runDesktop(decision.electronPath)
  process.stderr.write(`inferadmin: ${decision.reason}; starting the headless server instead.\n`)
  await serve(rest)
}

const USAGE = `Usage:
  inferadmin start [--headless] [--host H] [--port P]   desktop app when Electron and a display are available,
                                                        otherwise the headless server (says why)
  inferadmin serve [--host H] [--port P] [--new-token]  headless server: UI and API over HTTP with a token
  inferadmin --version
`

const [command = 'start', ...args] = process.argv.slice(2)
try {
  if (command === 'start') await start(args)
  else if (command === 'serve') await serve(args)
  else if (command === '--version' || command === '-v') {
    process.stdout.write(`${JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')).version}\n`)
  } else if (command === 'help' || command === '--help' || command === '-h') process.stdout.write(USAGE)
  else {
    process.stderr.write(`inferadmin: unknown command "${command}"\n${USAGE}`)
    process.exitCode = 2
  }
} catch (err) {
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err))
}
