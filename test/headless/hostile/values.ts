/**
 * Hostile values for the hostile-input suite, and the seeded generator that picks among them.
 *
 * Safety: today's server may act on some of these (that is what the suite looks for), so every value
 * that names a path stays inside the test's guard directory: at most MAX_DOTDOT ".." steps (the guard
 * tree is deeper than that) and absolute paths only below the guard. assertSafe() enforces it for
 * every generated request.
 */

/** Deterministic PRNG (mulberry32); the suite prints its seed. */
export class Rng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list')
    return xs[this.int(xs.length)] as T
  }
  /** n distinct items (all when n >= length), order kept. */
  sample<T>(xs: readonly T[], n: number): T[] {
    if (n >= xs.length) return [...xs]
    const idx = new Set<number>()
    while (idx.size < n) idx.add(this.int(xs.length))
    return [...idx].sort((a, b) => a - b).map((i) => xs[i] as T)
  }
}

/** Strings at least this long count as unbounded input (issue 12 §6: every string gets a maximum length). */
export const HUGE_STRING = 100_000
export const MAX_DOTDOT = 6

/** A JSON value given as raw text (numbers JSON.stringify cannot write, deep nesting, NaN). */
export class Raw {
  constructor(
    readonly text: string,
    /** A stand-in with the same validity, for the schema check. */
    readonly like: unknown,
  ) {}
}

export interface Candidate {
  label: string
  value: unknown
}

const big = (unit: string, n: number): string => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)

/** Hostile strings for path segments and query values, already percent-encoded where the HTTP layer needs it. */
export function segmentValues(guard: string): Candidate[] {
  const abs = encodeURIComponent(`${guard}/victim`)
  return [
    { label: '../../victim as %2F', value: '..%2F..%2Fvictim' },
    { label: '../../../victim as %2F', value: '..%2F..%2F..%2Fvictim' },
    { label: '../../../../victim as %2F', value: '..%2F..%2F..%2F..%2Fvictim' },
    { label: '%2E%2E%2F traversal', value: '%2E%2E%2F%2E%2E%2F%2E%2E%2Fvictim' },
    { label: 'double-encoded ..%252F', value: '..%252F..%252F..%252Fvictim' },
    { label: 'backslash ..\\..\\', value: '..%5C..%5C..%5Cvictim' },
    { label: 'overlong UTF-8 dots', value: '%C0%AE%C0%AE%2F%C0%AE%C0%AE%2Fvictim' },
    { label: 'absolute path to the victim', value: abs },
    { label: 'tilde path', value: '~%2F..%2Fvictim' },
    { label: 'NUL byte', value: 'x%00.json' },
    { label: 'CRLF header injection', value: 'x%0D%0ASet-Cookie%3A%20a%3D1' },
    { label: 'control characters', value: '%01%02%07%08%1B%7F' },
    { label: 'RTL override + zero-width', value: '%E2%80%AEx%E2%80%8B%EF%BB%BF' },
    { label: 'full-width dots and slash', value: '%EF%BC%8E%EF%BC%8E%EF%BC%8Fvictim' },
    { label: 'emoji', value: '%F0%9F%92%A3%F0%9F%94%A5' },
    { label: 'invalid UTF-8 (lone surrogate)', value: '%ED%A0%80' },
    { label: 'invalid UTF-8 bytes', value: '%FF%FE%C3' },
    { label: 'broken percent escape', value: '%zz%' },
    { label: '__proto__', value: '__proto__' },
    { label: 'constructor', value: 'constructor' },
    { label: 'glob and query characters', value: '*%3F%23%3B%20' },
    { label: 'lone %2F', value: '%2F' },
    { label: '8 KB segment', value: 'A'.repeat(8_000) },
    { label: '-1e309', value: '-1e309' },
  ]
}

/** Strings for body fields (plain text; JSON-encoded when sent). */
export function stringValues(guard: string): Candidate[] {
  return [
    { label: '"../../victim"', value: '../../victim' },
    { label: '"../../../victim"', value: '../../../victim' },
    { label: 'absolute victim path', value: `${guard}/victim` },
    { label: '"..\\\\..\\\\victim"', value: '..\\..\\victim' },
    { label: 'string with %2F', value: '..%2F..%2Fvictim' },
    { label: 'NUL', value: 'a\u0000b' },
    { label: 'control characters', value: '\u0001\u0007\b\u001b[31m\u007f\r\n' },
    { label: 'RTL override + zero-width', value: '\u202ex\u200b\ufeff' },
    { label: 'lone surrogate', value: '\ud800' },
    { label: 'emoji', value: '💣🔥' },
    { label: 'empty string', value: '' },
    { label: 'whitespace only', value: ' \t ' },
    { label: '__proto__', value: '__proto__' },
    { label: 'shell metacharacters', value: `$(touch ${guard}/pwned); \`touch ${guard}/pwned2\` | && ;` },
    { label: 'format-string', value: '%s%s%n%x{0}${x}' },
    { label: '200 KB string', value: big('A', 200_000) },
    { label: '200 KB unicode string', value: big('é🔥', 200_000) },
    { label: '200 KB of "a@"', value: big('a@', 200_000) },
    { label: '150 KB whitespace', value: big(' \t', 150_000) },
    // Many separators and a bad last character: makes backtracking regexes (email, host names) quadratic.
    { label: 'ReDoS probe: "a@" + 50k × "a." + "@"', value: `a@${'a.'.repeat(50_000)}@` },
  ]
}

/** Non-string JSON values (wrong types, out-of-range numbers) and structural oddities. */
export function otherValues(): Candidate[] {
  const deep = (n: number): Raw => new Raw('['.repeat(n) + ']'.repeat(n), [[[]]])
  return [
    { label: '42', value: 42 },
    { label: '-1', value: -1 },
    { label: '0', value: 0 },
    { label: '1.5', value: 1.5 },
    { label: '2^53+2', value: 9007199254740994 },
    { label: '1e309 (Infinity)', value: new Raw('1e309', Number.POSITIVE_INFINITY) },
    { label: '-1e309', value: new Raw('-1e309', Number.NEGATIVE_INFINITY) },
    { label: '1e-400', value: new Raw('1e-400', 0) },
    { label: '-0', value: new Raw('-0', -0) },
    { label: '1e21', value: 1e21 },
    { label: 'true', value: true },
    { label: 'false', value: false },
    { label: 'null', value: null },
    { label: '[]', value: [] },
    { label: '["x"]', value: ['x'] },
    { label: '{}', value: {} },
    { label: '{"__proto__":{"admin":true}}', value: new Raw('{"__proto__":{"admin":true}}', { ['__proto__']: { admin: true } }) },
    { label: 'numeric string "12"', value: '12' },
    { label: '"NaN"', value: 'NaN' },
    { label: '"abc"', value: 'abc' },
    { label: '10k-deep nested arrays', value: deep(10_000) },
    { label: '10k-deep nested objects', value: new Raw('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), { a: { a: 1 } }) },
    { label: '100k-element array', value: new Raw(`[${'1,'.repeat(99_999)}1]`, new Array(100_000).fill(1)) },
  ]
}

/** Query-string values (strings only; structural forms are added by the generator). */
export function queryValues(guard: string): Candidate[] {
  return [
    ...segmentValues(guard),
    { label: 'NaN', value: 'NaN' },
    { label: 'Infinity', value: 'Infinity' },
    { label: '1e309', value: '1e309' },
    { label: '-1', value: '-1' },
    { label: '1.5', value: '1.5' },
    { label: '0x10', value: '0x10' },
    { label: '400-digit number', value: '9'.repeat(400) },
    { label: 'TRUE', value: 'TRUE' },
    { label: 'empty', value: '' },
    { label: 'abc', value: 'abc' },
  ]
}

/** Serialises a value to JSON text; Raw parts go in verbatim. */
export function toJsonText(v: unknown): string {
  if (v instanceof Raw) return v.text
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(',')}]`
  if (v && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`)
      .join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

/** The value a schema check should see for `v` (Raw replaced by its stand-in). */
export function likeValue(v: unknown): unknown {
  if (v instanceof Raw) return v.like
  if (Array.isArray(v)) return v.map(likeValue)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, likeValue(x)]))
  return v
}

function fullyDecoded(s: string): string {
  let cur = s
  for (let i = 0; i < 4; i++) {
    let next: string
    try {
      next = decodeURIComponent(cur)
    } catch {
      next = cur.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    }
    if (next === cur) break
    cur = next
  }
  return cur.replace(/\u00c0\u00ae|\uff0e/g, '.')
}

/**
 * Throws when a request could reach outside the guard directory if the server acted on it: too many
 * ".." steps, or an absolute path that is not below the guard. Checks the decoded text of the whole request.
 */
export function unsafeReason(text: string, guard: string, allowed: readonly string[] = []): string | undefined {
  const decoded = fullyDecoded(text)
  const dots = decoded.split('..').length - 1
  if (dots > MAX_DOTDOT) return `${dots} ".." steps`
  for (const m of decoded.matchAll(/(?:^|["=\s~(`])(\/[A-Za-z][^"\s&;`)]*)/g)) {
    const p = m[1] as string
    if (!p.startsWith(guard) && !['/api/', '/rpc', ...allowed].some((a) => p.startsWith(a))) {
      return `absolute path ${p.slice(0, 60)} outside the guard`
    }
  }
  return undefined
}

export function assertSafe(text: string, guard: string, where: string, allowed: readonly string[] = []): void {
  const why = unsafeReason(text, guard, allowed)
  if (why) throw new Error(`unsafe hostile input (${why}) in ${where}`)
}
