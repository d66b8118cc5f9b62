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
import { decideLaunch, displayProblem, probeElectron } from './launch-decision.js'

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
  process.stderr.write(`inferadmin: first run, building the app (${missing} missing)...\n`)
  // The build's own output is for developers: shown only when it fails (its end, where the error is).
  const build = spawnSync(process.execPath, [cli, 'build'], { cwd: appDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (build.status !== 0) {
    const tail = `${build.stdout ?? ''}${build.stderr ?? ''}`.trimEnd().split('\n').slice(-30).join('\n')
    process.stderr.write(`${tail}\n`)
    fail('the build failed (its output is above); `npm run build` runs it again')
  }
}

/**
 * The console level asked for (--log-level X, --log-level=X, else INFERADMIN_LOG_LEVEL); serve validates it.
 * @param {string[]} args
 */
function logLevel(args) {
  const i = args.findIndex((a) => a === '--log-level' || a.startsWith('--log-level='))
  const arg = args[i] ?? ''
  const value = i < 0 ? process.env.INFERADMIN_LOG_LEVEL : arg.includes('=') ? arg.slice('--log-level='.length) : args[i + 1]
  return (value || 'info').trim().toLowerCase()
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
  // Without a display (or with --headless) the Electron binary is not looked at: it would not be used.
  const probe = !forceHeadless && !displayProblem(process.platform, process.env)
  const decision = decideLaunch({
    platform: process.platform,
    env: process.env,
    forceHeadless,
    electron: probe ? probeElectron({ packageDir: join(appDir, 'node_modules', 'electron') }) : { ok: false, reason: 'not probed' },
  })
  if (decision.mode === 'desktop') return runDesktop(decision.electronPath)
  if (['info', 'debug', 'trace'].includes(logLevel(rest))) {
    process.stderr.write(`inferadmin: ${decision.reason}; starting the headless server instead.\n`)
    if (decision.fix) process.stderr.write(`  ${decision.fix}\n`)
  }
  await serve(rest)
}

const USAGE = `Usage:
  inferadmin start [--headless] [--host H] [--port P]   desktop app when Electron and a display are available,
                                                        otherwise the headless server (says why)
  inferadmin serve [--host H] [--port P] [--new-token] [--log-level L]
                                                        headless server: UI and API over HTTP with a token
                                                        (\`inferadmin serve --help\` lists every option)
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
  // A stack is for developers: shown with --log-level debug/trace only.
  const verbose = ['debug', 'trace'].includes(logLevel(args))
  const text = err instanceof Error ? (verbose ? (err.stack ?? err.message) : err.message) : String(err)
  fail(verbose ? text : `${text} (--log-level debug shows the stack)`)
}
