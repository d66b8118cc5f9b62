/** The shape of a hostile request and the helpers both generators (REST, WebSocket) share. */
import { definitelyInvalid, leaves, sample, setAt, type JsonSchema, type Leaf } from './schema'
import { likeValue, otherValues, Raw, stringValues, type Candidate, type Rng } from './values'

/**
 * reject: a correct server must answer 4xx with the declared error shape (the input breaks the declared
 * schema, names something that cannot exist, or breaks a transport rule of issue 12).
 * survive: the input may be valid; any answer but a 5xx will do (a declared 503 UNAVAILABLE is the
 * stand-in Docker/Hub answering "unreachable"), and a 4xx must still have the declared shape.
 */
export type Expect = 'reject' | 'survive'

export interface HttpCase {
  transport: 'rest'
  route: string
  kind: string
  what: string
  expect: Expect
  method: string
  /** Raw request target; "{port}" and "{otherPort}" in it and in headers are filled in at send time. */
  path: string
  headers: Record<string, string | string[]>
  body?: () => string | Buffer
}

export interface WsCase {
  transport: 'ws'
  route: string
  kind: string
  what: string
  expect: Expect
  /** The frame to send; `id` is the message id a reply would carry (undefined: no reply expected). */
  frame: () => string | Buffer
  id?: string
  /** An upgrade-level case instead of a frame: the request target and headers of the handshake. */
  upgrade?: { path: string; headers: Record<string, string> }
}

export type Case = HttpCase | WsCase

export interface Gen {
  rng: Rng
  guard: string
  token: string
}

export const describeValue = (v: unknown): string => {
  const s = v instanceof Raw ? v.text : typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v))
  return s.length > 60 ? `${s.slice(0, 40)}… (${s.length} chars)` : s
}

export const pathLabel = (p: (string | number)[]): string => p.join('.') || '(body)'

/** Families of invalid values, so each field gets a spread (wrong type, range, size, text, nesting). */
function family(c: Candidate): string {
  const v = c.value
  if (v instanceof Raw) return v.text.length > 1000 ? 'nesting' : 'number'
  if (c.label.startsWith('ReDoS')) return 'redos'
  if (typeof v === 'string') return v.length >= 100_000 ? 'huge' : /\.\.|\//.test(v) ? 'traversal' : 'text'
  if (typeof v === 'number') return 'number'
  return 'type'
}

export interface Mutation {
  kind: string
  what: string
  value: unknown
}

/**
 * Invalid versions of `base` for `schema`: each required field missing, each field with up to `perLeaf`
 * values that certainly break it (spread over the families), wrong top-level types, extra fields with a
 * broken one, duplicate keys. Each result is checked against the schema as a whole.
 */
export function bodyMutations(schema: JsonSchema, base: unknown, g: Gen, perLeaf: number): Mutation[] {
  const out: Mutation[] = []
  const invalid = (v: unknown): boolean => definitelyInvalid(schema, likeValue(v))
  const pool = [...stringValues(g.guard), ...otherValues()]
  const ls = leaves(schema)
  for (const leaf of ls) {
    if (leaf.required) {
      const v = setAt(base, leaf.path, undefined)
      if (invalid(v)) out.push({ kind: 'missing field', what: `without ${pathLabel(leaf.path)}`, value: v })
    }
  }
  for (const leaf of ls) out.push(...leafMutations(leaf, base, pool, invalid, g.rng, perLeaf))
  const topLevel = ['[]', 'null', '42', '"abc"', 'true', '10k-deep nested arrays', '10k-deep nested objects']
  for (const c of otherValues().filter((x) => topLevel.includes(x.label))) {
    if (invalid(c.value)) out.push({ kind: 'body type', what: `body = ${c.label}`, value: c.value })
  }
  const extras = {
    ['__proto__']: new Raw('{"admin":true,"polluted":"yes"}', { admin: true }),
    constructor: { prototype: { polluted: 'yes' } },
    hostileExtra: '../victim',
  }
  const withExtras = { ...(base as object), ...extras }
  if (invalid(withExtras)) out.push({ kind: 'extra fields', what: 'extra fields __proto__, constructor, hostileExtra', value: withExtras })
  else {
    const broken = out.find((m) => m.kind === 'field value')
    if (broken && typeof broken.value === 'object' && broken.value) {
      const value = { ...(broken.value as object), ...extras }
      out.push({ kind: 'extra fields', what: `__proto__/constructor/hostileExtra + ${broken.what}`, value })
    }
  }
  return out
}

function leafMutations(
  leaf: Leaf,
  base: unknown,
  pool: Candidate[],
  invalid: (v: unknown) => boolean,
  rng: Rng,
  perLeaf: number,
): Mutation[] {
  const ok = pool.filter((c) => invalid(setAt(base, leaf.path, c.value)))
  const byFamily = new Map<string, Candidate[]>()
  for (const c of ok) byFamily.set(family(c), [...(byFamily.get(family(c)) ?? []), c])
  const chosen: Candidate[] = []
  for (const list of byFamily.values()) chosen.push(rng.pick(list))
  const rest = ok.filter((c) => !chosen.includes(c))
  chosen.push(...rng.sample(rest, Math.max(0, perLeaf - chosen.length)))
  return chosen.slice(0, Math.max(perLeaf, byFamily.size)).map((c) => ({
    kind: 'field value',
    what: `${pathLabel(leaf.path)} = ${c.label}`,
    value: setAt(base, leaf.path, c.value),
  }))
}

/** JSON text with `key` twice: a valid value first, an invalid one last (or both invalid). */
export function duplicateKeyTexts(schema: JsonSchema, base: unknown, g: Gen): Mutation[] {
  if (!base || typeof base !== 'object' || Array.isArray(base)) return []
  const out: Mutation[] = []
  for (const [key, prop] of Object.entries(schema.properties ?? {}).slice(0, 3)) {
    const bad = [...otherValues(), ...stringValues(g.guard)].find((c) => definitelyInvalid(schema, likeValue(setAt(base, [key], c.value))))
    if (!bad) continue
    const good = sample(prop)
    const rest = Object.entries(base as Record<string, unknown>).filter(([k]) => k !== key)
    const head = rest.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    const first = good.ok ? JSON.stringify(good.value) : '"x"'
    const last = bad.value instanceof Raw ? bad.value.text : JSON.stringify(bad.value)
    const text = `{${[...head, `${JSON.stringify(key)}:${first}`, `${JSON.stringify(key)}:${last}`].join(',')}}`
    const value = new Raw(text, setAt(base, [key], likeValue(bad.value)))
    out.push({ kind: 'duplicate key', what: `"${key}" twice: valid then ${bad.label}`, value })
  }
  return out
}

/** Syntactically broken JSON bodies (each must be refused whatever the route takes). */
export function brokenJson(baseText: string): { what: string; text: string }[] {
  return [
    { what: 'truncated JSON', text: baseText.slice(0, Math.max(1, baseText.length - 1)) },
    { what: 'lone "{"', text: '{' },
    { what: 'missing value', text: '{"a":}' },
    { what: 'single quotes', text: "{'a':1}" },
    { what: 'trailing comma', text: '{"a":1,}' },
    { what: 'bare NaN', text: 'NaN' },
    { what: 'NaN value', text: '{"a":NaN}' },
    { what: 'comment', text: '/* x */{}' },
    { what: 'garbage after JSON', text: `${baseText}garbage` },
    { what: 'unterminated string', text: '{"a":"' },
    { what: 'raw control character in string', text: '{"a":"\u0001\n"}' },
  ]
}
