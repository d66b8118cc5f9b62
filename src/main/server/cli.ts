import { mkdirSync } from 'node:fs'
import { httpUrl, reachHost } from '../core/docker/net'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Conf from 'conf'
import { createCore } from '../core/create-core'
import { createLogger, isVerbose, parseLogLevel, type LogLevel } from '../core/logging/logger'
import { resolvePaths } from '../core/paths'
import { fileModeCodec } from '../core/settings/backend'
import { APP_VERSION } from '../core/version'
import { newToken } from './auth'
import { parseAllowedHosts } from './guards'
import { startHeadlessServer } from './http-server'
import { previousToken, serverFilePath, writeServerFile } from './server-file'
import { SessionStore, sessionsFilePath } from './sessions'
import { reportStartupProblems } from './startup-check'

const SHUTDOWN_DEADLINE_MS = 5000

function usage(): string {
  return [
    'Usage: inferadmin serve [--host HOST] [--port PORT] [--allow-host NAME]... [--new-token] [--log-level LEVEL]',
    '  --host        interface for the management API (default: the apiHost setting, 127.0.0.1)',
    '  --port        TCP port, 0 = any free port (default 7391)',
    '  --allow-host  a host name (or name:port) browsers may use besides its own addresses, e.g. behind a proxy',
    '  --new-token   issue a new access token and end every browser session',
    '  --log-level   what the console shows: info (default: what runs where, what is missing and the fix),',
    '                debug or trace (every log entry), warn, error, fatal, silent; the log file keeps info and up',
    'Environment: INFERADMIN_HOME puts settings, data and server.json in one directory;',
    '  INFERADMIN_ALLOWED_HOSTS adds host names like --allow-host (comma-separated);',
    '  INFERADMIN_LOG_LEVEL is the default for --log-level.',
  ].join('\n')
}

/** `inferadmin serve`: the same backend as the desktop app, served to a browser. */
export async function main(argv: string[]): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string', default: '7391' },
        'new-token': { type: 'boolean', default: false },
        'allow-host': { type: 'string', multiple: true, default: [] },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
    }))
  } catch (err) {
    process.stderr.write(`inferadmin: ${(err as Error).message}\n${usage()}\n`)
    process.exitCode = 2
    return
  }
  if (values.help) {
    process.stdout.write(usage() + '\n')
    return
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`inferadmin: --port must be a number from 0 to 65535 (got "${values.port}")\n`)
    process.exitCode = 2
    return
  }
  let allowedHosts: string[]
  try {
    allowedHosts = parseAllowedHosts([process.env.INFERADMIN_ALLOWED_HOSTS ?? '', ...values['allow-host']].join(','))
  } catch (err) {
    process.stderr.write(`inferadmin: --allow-host / INFERADMIN_ALLOWED_HOSTS: ${(err as Error).message}\n`)
    process.exitCode = 2
    return
  }

  let level: LogLevel
  try {
    const flag = values['log-level']
    const env = process.env.INFERADMIN_LOG_LEVEL || 'info'
    level = flag !== undefined ? parseLogLevel(flag, '--log-level') : parseLogLevel(env, 'INFERADMIN_LOG_LEVEL')
  } catch (err) {
    process.stderr.write(`inferadmin: ${(err as Error).message}\n`)
    process.exitCode = 2
    return
  }
  /** A line for people on stdout, shown at info and below. */
  const say = (text: string): void => {
    if (level === 'info' || isVerbose(level)) process.stdout.write(`${text}\n`)
  }

  const paths = resolvePaths()
  mkdirSync(paths.configDir, { recursive: true, mode: 0o700 })
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 })
  // Full JSON in the log file; human lines (message and fix, no stack) on stderr.
  const logger = await createLogger({ dataDir: paths.dataDir, level, stderr: true })
  const core = await createCore({
    logger,
    mode: 'headless',
    version: APP_VERSION,
    paths,
    openSettingsFile: () =>
      new Conf<Record<string, unknown>>({
        cwd: paths.configDir,
        configName: 'settings',
        projectName: 'inferadmin',
        clearInvalidConfig: false,
      }),
    secretCodec: fileModeCodec,
    workerFile: fileURLToPath(new URL('./pool-worker.js', import.meta.url)),
    gpuWorkerFile: fileURLToPath(new URL('./gpu-worker.js', import.meta.url)),
  })
  const host = values.host ?? core.settings.get().apiHost
  const previous = values['new-token'] ? undefined : await previousToken(paths.configDir)
  const token = previous ?? newToken()
  const sessions = await SessionStore.open({ file: sessionsFilePath(paths.configDir) })
  // A new token (--new-token, or server.json gone) ends every browser session opened with the old one.
  if (previous === undefined) await sessions.revokeAll()
  let server
  try {
    server = await startHeadlessServer({
      router: core.router,
      logger: core.logger,
      version: APP_VERSION,
      token,
      host,
      port,
      rendererDir: fileURLToPath(new URL('../renderer/', import.meta.url)),
      sessions,
      serverFile: serverFilePath(paths.configDir),
      allowedHosts,
      metrics: core.metrics,
    })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why =
      e.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use — pick another with --port (0 = any free port)` : e.message
    process.stderr.write(`inferadmin: cannot start the server: ${why}\n`)
    await core.dispose()
    process.exitCode = 1
    return
  }
  const file = await writeServerFile(paths.configDir, { url: server.url, token })
  // The URL is what the command is for: printed at every level but silent (it is in server.json too).
  if (level !== 'silent') {
    const open = `${server.url}/?token=${token}`
    process.stdout.write(`InferAdmin ${APP_VERSION} is running headless at ${server.url}\n`)
    process.stdout.write(`  Open: ${open}  (URL and token are also in ${file})\n`)
    const gw = core.gateway.status()
    if (gw.running && gw.url) process.stdout.write(`  OpenAI-compatible gateway for every model: ${gatewayUrlText(gw.host, gw.port)}\n`)
    else if (gw.error) process.stdout.write(`warning: the gateway is not listening: ${gw.error.message}\n  fix: ${gw.error.fix}\n`)
  }
  const checks = new AbortController()
  void reportStartupProblems(core.router, core.logger, checks.signal)

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    checks.abort()
    core.logger.info({ signal }, 'shutting down')
    const force = setTimeout(() => {
      core.logger.error('shutdown deadline passed; exiting')
      process.exit(1)
    }, SHUTDOWN_DEADLINE_MS)
    force.unref()
    void (async () => {
      await server.close()
      await core.dispose()
      clearTimeout(force)
      say('InferAdmin stopped.')
      process.exit(0)
    })()
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}

/** Where clients reach the gateway: the loopback URL, and that the network reaches it too when it listens on all. */
function gatewayUrlText(host: string, port: number): string {
  const local = httpUrl(reachHost(host), port, '/v1')
  return host === '0.0.0.0' || host === '::' ? `${local} (listening on ${host}: other machines need a key)` : local
}
