import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { humanLines } from './human-console'
import { createLogger, parseLogLevel } from './logger'

/** A console that keeps what was written. */
function capture(): { write(text: string): void; lines(): string[] } {
  let text = ''
  return { write: (t: string) => void (text += t), lines: () => text.split('\n').filter((l) => l.trim() !== '') }
}

/** The JSON entries of the log file under `dataDir` (after a flush). */
function fileEntries(dataDir: string): Array<Record<string, unknown>> {
  const dir = join(dataDir, 'logs')
  const text = readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('')
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

function flushed(logger: { flush(cb?: (err?: Error) => void): void }): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()))
}

describe('humanLines', () => {
  it('says the message, the detail of a fault and its fix on a line of its own', () => {
    const fault = { kind: 'nvidia-smi-missing', message: 'nvidia-smi was not found at /x.', fix: 'Install the NVIDIA driver.' }
    expect(humanLines({ level: 40, msg: 'GPU telemetry unavailable', fault })).toEqual([
      'warning: GPU telemetry unavailable: nvidia-smi was not found at /x.',
      '  fix: Install the NVIDIA driver.',
    ])
  })

  it('shows an error by its first line, never its stack, and takes the fix an AppError carries', () => {
    const err = new Error('Docker Hub is unreachable.\nsecond line')
    const logged = { level: 50, msg: 'request failed', err: { message: err.message, stack: err.stack, data: { fix: 'Try again.' } } }
    const entry = JSON.parse(JSON.stringify(logged)) as Record<string, unknown>
    const lines = humanLines(entry)
    expect(lines).toEqual(['error: request failed: Docker Hub is unreachable.', '  fix: Try again.'])
    expect(lines.join('\n')).not.toContain('    at ')
  })

  it('keeps control characters from remote text off the terminal', () => {
    const [line] = humanLines({ level: 40, msg: 'bad\u001b[31m name\nnext', detail: 'a\rb' })
    expect(line).toBe('warning: bad [31m name next: a b')
  })

  it('adds the other fields only when verbose', () => {
    const entry = { level: 30, time: 1, pid: 2, msg: 'core started', mode: 'headless', paths: { dataDir: '/d' } }
    expect(humanLines(entry)).toEqual(['core started'])
    expect(humanLines(entry, true)).toEqual(['core started (mode=headless, paths={"dataDir":"/d"})'])
  })
})

describe('createLogger', () => {
  it('at info: warnings on the console as human lines, routine info only in the JSON file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inferadmin-log-'))
    const out = capture()
    const logger = await createLogger({ dataDir, level: 'info', stderr: true, console: out })
    logger.info({ mode: 'headless' }, 'core started')
    logger.warn({ detail: 'no Docker socket at unix:///x.', fix: 'Start Docker.' }, 'Docker is not reachable')
    logger.debug('chatter')
    await flushed(logger)
    expect(out.lines()).toEqual(['warning: Docker is not reachable: no Docker socket at unix:///x.', '  fix: Start Docker.'])
    expect(fileEntries(dataDir).map((e) => [e.level, e.msg])).toEqual([
      [30, 'core started'],
      [40, 'Docker is not reachable'],
    ])
  })

  it('at debug: every entry down to debug on the console and in the file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inferadmin-log-'))
    const out = capture()
    const logger = await createLogger({ dataDir, level: 'debug', stderr: true, console: out })
    logger.info('core started')
    logger.debug('chatter')
    logger.trace('noise')
    await flushed(logger)
    expect(out.lines()).toEqual(['core started', 'debug: chatter'])
    expect(fileEntries(dataDir).map((e) => e.msg)).toEqual(['core started', 'chatter'])
  })

  it('at silent: nothing on the console, the file still keeps info and up', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inferadmin-log-'))
    const out = capture()
    const logger = await createLogger({ dataDir, level: 'silent', stderr: true, console: out })
    logger.error('broken')
    logger.info('routine')
    await flushed(logger)
    expect(out.lines()).toEqual([])
    expect(fileEntries(dataDir).map((e) => e.msg)).toEqual(['broken', 'routine'])
  })

  it('refuses an unknown level, naming the choices', async () => {
    const choices = 'trace, debug, info, warn, error, fatal, silent'
    expect(() => parseLogLevel('bogus', '--log-level')).toThrow(`--log-level must be one of ${choices} (got "bogus")`)
    expect(parseLogLevel(' DEBUG ', 'x')).toBe('debug')
    await expect(createLogger({ dataDir: mkdtempSync(join(tmpdir(), 'inferadmin-log-')), level: 'loud' })).rejects.toThrow(/got "loud"/)
  })
})
