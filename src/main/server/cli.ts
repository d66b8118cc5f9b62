import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Conf from 'conf'
import { createCore } from '../core/create-core'
import { resolvePaths } from '../core/paths'
import { fileModeCodec } from '../core/settings/backend'
import { APP_VERSION } from '../core/version'
import { newToken } from './auth'
import { parseAllowedHosts } from './guards'
import { startHeadlessServer } from './http-server'
import { previousToken, writeServerFile } from './server-file'
import { SessionStore, sessionsFilePath } from './sessions'

const SHUTDOWN_DEADLINE_MS = 5000

function usage(): string {
  return [
    'Usage: inferadmin serve [--host HOST] [--port PORT] [--allow-host NAME]... [--new-token]',
    '  --host        interface for the management API (default: the apiHost setting, 127.0.0.1)',
    '  --port        TCP port, 0 = any free port (default 7391)',
    '  --allow-host  a host name (or name:port) browsers may use besides its own addresses, e.g. behind a proxy',
    '  --new-token   issue a new access token and end every browser session',
    'Environment: INFERADMIN_HOME puts settings, data and server.json in one directory;',
    '  INFERADMIN_ALLOWED_HOSTS adds host names like --allow-host (comma-separated).',
  ].join('\n')
}

/** `inferadmin serve`: the same backend as the desktop app, served to a browser. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string', default: '7391' },
      'new-token': { type: 'boolean', default: false },
      'allow-host': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  })
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

  const paths = resolvePaths()
  mkdirSync(paths.configDir, { recursive: true, mode: 0o700 })
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 })
  const core = await createCore({
    mode: 'headless',
    version: APP_VERSION,
    paths,
    openSettingsFile: () => new Conf<Record<string, unknown>>({ cwd: paths.configDir, configName: 'settings', projectName: 'inferadmin', clearInvalidConfig: false }),
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
      allowedHosts,
      metrics: core.metrics,
    })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use — pick another with --port (0 = any free port)` : e.message
    process.stderr.write(`inferadmin: cannot start the server: ${why}\n`)
    await core.dispose()
    process.exitCode = 1
    return
  }
  const file = await writeServerFile(paths.configDir, { url: server.url, token })
  process.stdout.write(`InferAdmin ${APP_VERSION} is running headless.\n  Open: ${server.url}/?token=${token}\n  (URL and token are in ${file})\n`)

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
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
      process.stdout.write('InferAdmin stopped.\n')
      process.exit(0)
    })()
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}
