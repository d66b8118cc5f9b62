import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import pinoRoll from 'pino-roll'

export type { Logger }

/** Keys whose values must never reach a log line. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'hfToken',
  '*.hfToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'cookie',
  '*.cookie',
]

export interface LoggerOptions {
  dataDir: string
  level?: string
  /** Also write warnings and errors to stderr (headless servers). */
  stderr?: boolean
}

/**
 * Structured JSON logs in `<dataDir>/logs/inferadmin.N.log`, rotated at 10 MB, 5 files kept.
 * pino-roll runs in-process (no transport worker) so it also works from an asar bundle.
 */
export async function createLogger(opts: LoggerOptions): Promise<Logger> {
  const dir = join(opts.dataDir, 'logs')
  mkdirSync(dir, { recursive: true })
  const file = await pinoRoll({ file: join(dir, 'inferadmin'), extension: '.log', size: '10m', limit: { count: 5 }, mkdir: true })
  const streams: pino.StreamEntry[] = [{ level: 'trace', stream: file }]
  if (opts.stderr) streams.push({ level: 'warn', stream: process.stderr })
  const level = opts.level ?? process.env.INFERADMIN_LOG_LEVEL ?? 'info'
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } }, pino.multistream(streams))
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
