import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import pinoRoll from 'pino-roll'
import { humanConsole } from './human-console'

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

/** What --log-level / INFERADMIN_LOG_LEVEL accept (pino's levels), least to most quiet. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** A log level from the user (`what` names where it came from), or an error naming the choices. */
export function parseLogLevel(value: string, what: string): LogLevel {
  const v = value.trim().toLowerCase()
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel
  throw new Error(`${what} must be one of ${LOG_LEVELS.join(', ')} (got "${value}")`)
}

/** Below info (debug, trace) the console is verbose: every entry at that level, with its fields. */
export function isVerbose(level: LogLevel): level is 'debug' | 'trace' {
  return level === 'debug' || level === 'trace'
}

export interface LoggerOptions {
  dataDir: string
  /**
   * What reaches the console (default INFERADMIN_LOG_LEVEL, else info). info: warnings and errors with their fix
   * (the routine info entries stay in the file); debug/trace: every entry at that level, and the file keeps them too.
   */
  level?: string
  /** Also print entries for people on stderr (headless servers), as human lines (see human-console.ts). */
  stderr?: boolean
  /** Where those lines go instead of process.stderr. */
  console?: { write(text: string): unknown }
}

/**
 * Structured JSON logs in `<dataDir>/logs/inferadmin.N.log`, rotated at 10 MB, 5 files kept; the file always keeps
 * info and above whatever the console shows. pino-roll runs in-process (no transport worker) so it also works
 * from an asar bundle.
 */
export async function createLogger(opts: LoggerOptions): Promise<Logger> {
  const env = process.env.INFERADMIN_LOG_LEVEL || 'info'
  const level = opts.level ? parseLogLevel(opts.level, 'the log level') : parseLogLevel(env, 'INFERADMIN_LOG_LEVEL')
  const fileLevel = isVerbose(level) ? level : 'info'
  const dir = join(opts.dataDir, 'logs')
  mkdirSync(dir, { recursive: true })
  // sync: each entry is on disk when the call returns (a few lines a minute), so none is lost when the server exits;
  // logger.flush() cannot help there: pino.multistream has no flush of its own.
  const roll = { extension: '.log', size: '10m', limit: { count: 5 }, mkdir: true, sync: true }
  const file = await pinoRoll({ file: join(dir, 'inferadmin'), ...roll })
  const streams: pino.StreamEntry[] = [{ level: fileLevel, stream: file }]
  if (opts.stderr && level !== 'silent') {
    // At info the console leaves the routine info entries to the file: people see what needs them.
    const consoleLevel = level === 'info' ? 'warn' : level
    streams.push({ level: consoleLevel, stream: humanConsole(opts.console ?? process.stderr, isVerbose(level)) })
  }
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' }
  return pino({ level: fileLevel, redact, base: { pid: process.pid } }, pino.multistream(streams))
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
