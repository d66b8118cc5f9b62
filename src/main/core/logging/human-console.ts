/**
 * Log entries as lines for a person at a terminal (the headless server's console). The log file keeps the full
 * JSON; the console gets `msg: detail` and, when the entry carries one, an indented `fix:` line — never JSON, never
 * a stack. Written here rather than with pino-pretty: pino-pretty prints every field and the error stack (it is
 * made for developers reading logs), while people need the message and the fix.
 */

type Entry = Record<string, unknown>

const PREFIX: Record<number, string> = { 10: 'trace: ', 20: 'debug: ', 30: '', 40: 'warning: ', 50: 'error: ', 60: 'fatal: ' }
/** Fields shown as the message, detail or fix, or that only matter in the file. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'detail', 'reason', 'fix', 'fault', 'err'])
const MAX_VALUE = 200

/** One line of text: control characters (newlines, escape sequences from remote strings) become spaces. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim()
}

function obj(v: unknown): Entry | undefined {
  return v !== null && typeof v === 'object' ? (v as Entry) : undefined
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined
}

/** What went wrong, beyond the message: a detail/reason field, a fault, or an error's first line (not its stack). */
function detailOf(e: Entry): string | undefined {
  const err = obj(e.err)
  const message = str(err?.message)?.split('\n')[0]
  return str(e.detail) ?? str(e.reason) ?? str(obj(e.fault)?.message) ?? str(e.err) ?? message
}

function fixOf(e: Entry): string | undefined {
  const err = obj(e.err)
  return str(e.fix) ?? str(obj(e.fault)?.fix) ?? str(err?.fix) ?? str(obj(err?.data)?.fix)
}

/** The other fields, `key=value`, for --log-level debug/trace. */
function context(e: Entry): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(e)) {
    if (SHOWN.has(k) || v === undefined) continue
    const text = typeof v === 'string' ? v : JSON.stringify(v)
    parts.push(`${k}=${clean(text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text)}`)
  }
  return parts.length ? ` (${parts.join(', ')})` : ''
}

/** The lines a person sees for one entry; `verbose` (debug/trace) adds the entry's other fields. */
export function humanLines(entry: Entry, verbose = false): string[] {
  const level = typeof entry.level === 'number' ? entry.level : 30
  const msg = clean(str(entry.msg) ?? '')
  const detail = detailOf(entry)
  const shownDetail = detail && !msg.includes(clean(detail)) ? clean(detail) : ''
  const head = [msg, shownDetail].filter(Boolean).join(': ') || '(no message)'
  const lines = [`${PREFIX[level] ?? ''}${head}${verbose ? context(entry) : ''}`]
  const fix = fixOf(entry)
  if (fix) lines.push(`  fix: ${clean(fix)}`)
  return lines
}

/**
 * A pino destination that prints each entry as human lines on `out` (process.stderr in the server).
 * pino.multistream hands it one JSON line per write and filters by level before.
 */
export function humanConsole(out: { write(text: string): unknown }, verbose = false): { write(line: string): void } {
  return {
    write(line: string): void {
      let entry: Entry
      try {
        entry = JSON.parse(line) as Entry
      } catch {
        out.write(`${clean(line)}\n`)
        return
      }
      out.write(`${humanLines(entry, verbose).join('\n')}\n`)
    },
  }
}
