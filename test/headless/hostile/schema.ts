/**
 * Just enough JSON Schema (as oRPC writes it into openapi.json) for the hostile-input suite:
 * - definitelyInvalid(): true only when a value cannot pass the schema, whatever zod does on top of it
 *   (trim, lower-case, coerce). Unsure means "valid", so a request the suite calls malformed really is.
 * - sample(): a valid value, so a mutation changes one thing at a time.
 * - leaves(): the fields of a body to mutate.
 */
import { HUGE_STRING } from './values'

export interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minItems?: number
  maxItems?: number
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  propertyNames?: JsonSchema
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  default?: unknown
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function types(s: JsonSchema): string[] | undefined {
  if (s.type === undefined) return undefined
  return Array.isArray(s.type) ? s.type : [s.type]
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function stringVariants(v: string): string[] {
  return [...new Set([v, v.trim(), v.toLowerCase(), v.trim().toLowerCase()])]
}

function stringOk(s: JsonSchema, v: string): boolean {
  if (v.length >= HUGE_STRING) return false
  return stringVariants(v).some((x) => {
    const units = x.length
    const points = [...x].length
    if (s.minLength !== undefined && units < s.minLength && points < s.minLength) return false
    if (s.maxLength !== undefined && units > s.maxLength && points > s.maxLength) return false
    if (s.pattern !== undefined && !new RegExp(s.pattern).test(x)) return false
    return true
  })
}

function numberOk(s: JsonSchema, v: unknown, integer: boolean): boolean {
  // z.coerce.number() turns strings, booleans, null and one-element arrays into numbers.
  const n = typeof v === 'number' ? v : isObj(v) ? Number.NaN : Number(v)
  if (!Number.isFinite(n)) return false
  if (integer && !Number.isInteger(n)) return false
  if (s.minimum !== undefined && n < s.minimum) return false
  if (s.maximum !== undefined && n > s.maximum) return false
  if (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum) return false
  if (s.exclusiveMaximum !== undefined && n >= s.exclusiveMaximum) return false
  return true
}

function typeOk(t: string, s: JsonSchema, v: unknown): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string' && stringOk(s, v)
    case 'number':
      return numberOk(s, v, false)
    case 'integer':
      return numberOk(s, v, true)
    case 'boolean':
      return typeof v === 'boolean'
    case 'null':
      return v === null
    case 'array':
      return Array.isArray(v) && arrayOk(s, v)
    case 'object':
      return isObj(v) && objectOk(s, v)
    default:
      return true
  }
}

function arrayOk(s: JsonSchema, v: unknown[]): boolean {
  if (s.minItems !== undefined && v.length < s.minItems) return false
  if (s.maxItems !== undefined && v.length > s.maxItems) return false
  return s.items === undefined || v.every((x) => maybeValid(s.items as JsonSchema, x))
}

function objectOk(s: JsonSchema, v: Record<string, unknown>): boolean {
  for (const r of s.required ?? []) if (!Object.hasOwn(v, r)) return false
  for (const [k, x] of Object.entries(v)) {
    const p = s.properties?.[k]
    if (p) {
      if (!maybeValid(p, x)) return false
      continue
    }
    if (s.propertyNames && !maybeValid(s.propertyNames, k)) return false
    if (s.additionalProperties === false) return false
    if (isObj(s.additionalProperties) && !maybeValid(s.additionalProperties, x)) return false
  }
  return true
}

/** False only when `v` certainly fails `s`. */
export function maybeValid(s: JsonSchema, v: unknown): boolean {
  if (typeof v === 'string' && v.length >= HUGE_STRING) return false
  if (s.allOf && !s.allOf.every((x) => maybeValid(x, v))) return false
  const alts = s.anyOf ?? s.oneOf
  if (alts && !alts.some((x) => maybeValid(x, v))) return false
  if (s.const !== undefined && !deepEqual(s.const, v)) return false
  if (s.enum && !s.enum.some((e) => deepEqual(e, v) || (typeof v === 'string' && stringVariants(v).includes(e as string)))) return false
  const ts = types(s)
  if (ts && !ts.some((t) => typeOk(t, s, v))) return false
  if (!ts) {
    if (typeof v === 'string' && !stringOk(s, v)) return false
    if (Array.isArray(v) && (s.items || s.minItems !== undefined) && !arrayOk(s, v)) return false
    if (isObj(v) && (s.properties || s.required) && !objectOk(s, v)) return false
  }
  return true
}

export const definitelyInvalid = (s: JsonSchema, v: unknown): boolean => !maybeValid(s, v)

/** Strings tried, in order, as valid samples; the first that fits the schema wins. */
const STRING_SAMPLES = [
  'hostile-none',
  'hostile/none',
  'main',
  'v0.21.0',
  'vllm/vllm-openai:v0.21.0',
  'hostile@example.com',
  '03:00',
  'GPU-0000',
  `sha256:${'0'.repeat(64)}`,
  'http://127.0.0.1:9',
  '--max-model-len',
  'HOSTILE_NONE',
  'hf_hostile0000',
  'x',
]

/** A valid value for `s`, or ok=false when none was found (mutations then still break the one field). */
export function sample(s: JsonSchema): { ok: boolean; value: unknown } {
  if (s.default !== undefined && maybeValid(s, s.default)) return { ok: true, value: s.default }
  if (s.const !== undefined) return { ok: true, value: s.const }
  if (s.enum?.length) return { ok: true, value: s.enum[0] }
  for (const alt of s.anyOf ?? s.oneOf ?? []) {
    const r = sample(alt)
    if (r.ok) return r
  }
  const t = types(s)?.[0]
  if (t === 'string') {
    const hit = STRING_SAMPLES.find((x) => maybeValid(s, x)) ?? (s.minLength ? 'x'.repeat(s.minLength) : undefined)
    return hit !== undefined && maybeValid(s, hit) ? { ok: true, value: hit } : { ok: false, value: 'x' }
  }
  if (t === 'number' || t === 'integer') {
    const n = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : Math.min(1, s.maximum ?? 1))
    return { ok: maybeValid(s, n), value: n }
  }
  if (t === 'boolean') return { ok: true, value: false }
  if (t === 'null') return { ok: true, value: null }
  if (t === 'array') {
    if (!s.minItems) return { ok: true, value: [] }
    const item = sample(s.items ?? {})
    return { ok: item.ok, value: Array.from({ length: s.minItems }, () => item.value) }
  }
  if (t === 'object' || s.properties) {
    let ok = true
    const out: Record<string, unknown> = {}
    for (const r of s.required ?? []) {
      const x = sample(s.properties?.[r] ?? {})
      ok &&= x.ok
      out[r] = x.value
    }
    return { ok, value: out }
  }
  return { ok: true, value: null }
}

/** One mutable place in a body: the path of keys/indexes from the top and its schema. */
export interface Leaf {
  path: (string | number)[]
  schema: JsonSchema
  required: boolean
}

/** Every property (nested objects included, arrays through their first item, maps through one key). */
export function leaves(s: JsonSchema, path: (string | number)[] = [], required = true, depth = 0): Leaf[] {
  const out: Leaf[] = []
  if (path.length > 0) out.push({ path, schema: s, required })
  if (depth > 6) return out
  for (const [k, p] of Object.entries(s.properties ?? {})) out.push(...leaves(p, [...path, k], (s.required ?? []).includes(k), depth + 1))
  if (s.items) out.push(...leaves(s.items, [...path, 0], false, depth + 1))
  if (isObj(s.additionalProperties)) {
    const key = s.propertyNames ? sample(s.propertyNames) : { ok: true, value: 'HOSTILE_KEY' }
    if (key.ok && typeof key.value === 'string') out.push(...leaves(s.additionalProperties, [...path, key.value], false, depth + 1))
  }
  return out
}

/** A copy of `base` with `value` at `path` (creating containers on the way), or without it when value is undefined. */
export function setAt(base: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value
  const [head, ...rest] = path as [string | number, ...(string | number)[]]
  const container: Record<string | number, unknown> | unknown[] = Array.isArray(base)
    ? [...base]
    : isObj(base)
      ? { ...base }
      : typeof head === 'number'
        ? []
        : {}
  const cur = (container as Record<string | number, unknown>)[head]
  const next = setAt(cur, rest, value)
  if (next === undefined && rest.length === 0) {
    if (Array.isArray(container)) container.splice(head as number, 1)
    else delete (container as Record<string, unknown>)[head as string]
  } else (container as Record<string | number, unknown>)[head] = next
  return container
}
