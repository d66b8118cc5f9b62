/** Hostile REST requests, generated from openapi.json: every operation gets at least MIN_REJECT malformed ones. */
import { bodyMutations, brokenJson, describeValue, duplicateKeyTexts, type Gen, type HttpCase, type Mutation } from './cases'
import { definitelyInvalid, sample, type JsonSchema } from './schema'
import { queryValues, segmentValues, toJsonText, unsafeReason, type Candidate } from './values'

export const MIN_REJECT = 30
export const PER_ROUTE = 52
const API = '/api/v1'

interface Param {
  name: string
  in: 'path' | 'query' | string
  required?: boolean
  schema: JsonSchema
}

export interface Op {
  route: string
  method: string
  path: string
  /** Every method openapi.json declares for this path. */
  pathMethods: string[]
  params: Param[]
  body?: JsonSchema
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: Param[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>
}

export function operations(doc: OpenApiDoc): Op[] {
  const ops: Op[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(methods)) {
      const method = m.toUpperCase()
      const pathMethods = Object.keys(methods).map((x) => x.toUpperCase())
      const body = op.requestBody?.content?.['application/json']?.schema
      ops.push({ route: `${method} ${path}`, method, path, pathMethods, params: op.parameters ?? [], body })
    }
  }
  return ops
}

const decodeSegment = (raw: string): string => {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}
const decodeQuery = (raw: string): string => new URLSearchParams(`v=${raw}`).get('v') ?? ''
/** Text no entity id of ours can contain: separators, "..", control characters, undecodable bytes, or too long. */
// eslint-disable-next-line no-control-regex -- control characters are what an id must not contain
const impossibleId = (d: string): boolean => /[/\\\u0000-\u001f\u007f\ufffd]/.test(d) || d.includes('..') || d.length > 1000

interface Parts {
  pathValues?: Record<string, string>
  suffix?: string
  query?: [string, string][]
  body?: { text: () => string | Buffer; type: string | null; what?: string } | null
  headers?: Record<string, string | string[]>
  method?: string
  auth?: 'bearer' | 'none'
}

class RouteCases {
  readonly out: HttpCase[] = []
  readonly basePath: Record<string, string> = {}
  readonly baseQuery: [string, string][] = []
  readonly baseBody: unknown
  readonly keys = new Set<string>()

  constructor(
    readonly op: Op,
    readonly g: Gen,
  ) {
    for (const p of op.params) {
      const s = sample(p.schema)
      if (p.in === 'path') this.basePath[p.name] = encodeURIComponent(String(s.value))
      else if (p.required) this.baseQuery.push([p.name, encodeURIComponent(String(s.value))])
    }
    this.baseBody = op.body ? sample(op.body).value : undefined
  }

  get hasBody(): boolean {
    return this.op.method !== 'GET'
  }

  jsonBody(value: unknown): Parts['body'] {
    return { text: () => toJsonText(value), type: 'application/json' }
  }

  /** The base body as JSON text ({} for routes without one). */
  baseText(): string {
    return toJsonText(this.baseBody ?? {})
  }

  add(kind: string, what: string, expect: 'reject' | 'survive', parts: Parts = {}): boolean {
    const values = { ...this.basePath, ...parts.pathValues }
    let path = API + this.op.path.replace(/\{(\w+)\}/g, (_, n: string) => values[n] ?? 'x') + (parts.suffix ?? '')
    const query = parts.query ?? this.baseQuery
    if (query.length) path += `?${query.map(([k, v]) => `${k}=${v}`).join('&')}`
    const defaultBody = this.hasBody && this.baseBody !== undefined ? this.jsonBody(this.baseBody) : undefined
    const body = parts.body === undefined ? defaultBody : parts.body
    const auth: Record<string, string> = parts.auth === 'none' ? {} : { authorization: `Bearer ${this.g.token}` }
    const headers: Record<string, string | string[]> = { ...auth, ...parts.headers }
    if (body?.type) headers['content-type'] = body.type
    const text = body && kind !== 'size' ? body.text() : ''
    const small = typeof text === 'string' && text.length < 300_000 ? text : ''
    const why = unsafeReason(`${path} ${small}`, this.g.guard)
    const key = `${parts.method ?? this.op.method} ${path.slice(0, 2000)} ${JSON.stringify(headers)} ${small.slice(0, 2000) || what}`
    if (why || this.keys.has(key)) return false
    this.keys.add(key)
    const method = parts.method ?? this.op.method
    this.out.push({ transport: 'rest', route: this.op.route, kind, what, expect, method, path, headers, body: body?.text })
    return true
  }
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']

function pathParamCases(r: RouteCases, segs: Candidate[], canSurvive: boolean): void {
  for (const p of r.op.params.filter((x) => x.in === 'path')) {
    for (const c of segs) {
      const d = decodeSegment(String(c.value))
      const reject = definitelyInvalid(p.schema, d) || impossibleId(d)
      if (!reject && !canSurvive) continue
      r.add('path parameter', `${p.name} = ${c.label}`, reject ? 'reject' : 'survive', { pathValues: { [p.name]: String(c.value) } })
    }
  }
  if (!r.op.params.some((x) => x.in === 'path')) {
    for (const c of segs.filter((s) => impossibleId(decodeSegment(String(s.value))))) {
      r.add('path suffix', `path + /${c.label}`, 'reject', { suffix: `/${c.value}` })
    }
    r.add('path suffix', 'path + %2F..%2Fvictim in the last segment', 'reject', { suffix: '%2F..%2Fvictim' })
  }
}

function queryCases(r: RouteCases, canSurvive: boolean): void {
  const qv = queryValues(r.g.guard)
  for (const p of r.op.params.filter((x) => x.in === 'query')) {
    const others = r.baseQuery.filter(([k]) => k !== p.name)
    const withValue = (raw: string): [string, string][] => [...others, [p.name, raw]]
    for (const c of qv) {
      const reject = definitelyInvalid(p.schema, decodeQuery(String(c.value)))
      if (!reject && !canSurvive) continue
      r.add('query parameter', `${p.name} = ${c.label}`, reject ? 'reject' : 'survive', { query: withValue(String(c.value)) })
    }
    const structural: [string, [string, string][], unknown][] = [
      ['repeated twice', [...others, [p.name, 'x%00'], [p.name, 'x%00']], ['x\0', 'x\0']],
      [`${p.name}[x]=1`, [...others, [`${p.name}[x]`, '1']], { x: '1' }],
      [`${p.name}[__proto__][admin]=1`, [...others, [`${p.name}[__proto__][admin]`, '1']], { admin: '1' }],
      ['4,000-level bracket nesting', [...others, [`${p.name}${'[a]'.repeat(4000)}`, '1']], { a: { a: '1' } }],
    ]
    for (const [what, query, like] of structural) {
      if (definitelyInvalid(p.schema, like)) r.add('query structure', `${p.name}: ${what}`, 'reject', { query })
    }
    if (p.required) r.add('missing field', `without query parameter ${p.name}`, 'reject', { query: others })
  }
  r.add('size', '1 MB query string', 'reject', { query: [...r.baseQuery, ['hostile', 'A'.repeat(1 << 20)]] })
  if (canSurvive) {
    r.add('unknown query', 'unknown parameter ../../victim', 'survive', { query: [...r.baseQuery, ['file', '..%2F..%2Fvictim']] })
    const proto: [string, string][] = [
      ['__proto__[admin]', '1'],
      ['constructor[prototype][admin]', '1'],
    ]
    r.add('unknown query', '__proto__[admin]=1', 'survive', { query: [...r.baseQuery, ...proto] })
    r.add('unknown query', '4,000-level bracket nesting', 'survive', { query: [...r.baseQuery, [`x${'[a]'.repeat(4000)}`, '1']] })
    const repeated = Array.from({ length: 2000 }, (): [string, string] => ['x', '1'])
    r.add('unknown query', '2,000 repeated parameters', 'survive', { query: [...r.baseQuery, ...repeated] })
  }
}

function commonCases(r: RouteCases): void {
  const m = r.op.method
  r.add('host', 'Host: evil.example', 'reject', { headers: { host: 'evil.example' } })
  r.add('host', 'Host: evil.example:{port}', 'reject', { headers: { host: 'evil.example:{port}' } })
  r.add('host', 'Host: 127.0.0.1.nip.io:{port} (DNS rebinding)', 'reject', { headers: { host: '127.0.0.1.nip.io:{port}' } })
  r.add('auth', 'no credentials', 'reject', { auth: 'none' })
  r.add('auth', 'wrong bearer token', 'reject', { auth: 'none', headers: { authorization: 'Bearer wrong' } })
  r.add('auth', 'token + one character', 'reject', { auth: 'none', headers: { authorization: `Bearer ${r.g.token}x` } })
  const basic = `Basic ${Buffer.from(`admin:${r.g.token}`).toString('base64')}`
  r.add('auth', 'Basic auth with the token as password', 'reject', { auth: 'none', headers: { authorization: basic } })
  r.add('auth', 'wrong cookie', 'reject', { auth: 'none', headers: { cookie: 'inferadmin_token=wrong' } })
  const twice = ['Bearer wrong', `Bearer ${r.g.token}`]
  r.add('auth', 'two Authorization headers, wrong one first', 'reject', { auth: 'none', headers: { authorization: twice } })
  for (const other of METHODS.filter((x) => !r.op.pathMethods.includes(x))) {
    r.add('method', `${other} instead of ${m}`, 'reject', { method: other, body: other === 'GET' ? null : undefined })
  }
  if (!r.hasBody) return
  const cookie = { cookie: `inferadmin_token=${encodeURIComponent(r.g.token)}` }
  const json = r.baseText()
  const asJson = { text: () => json, type: 'application/json' }
  const asForm = { text: () => formOf(r.baseBody), type: 'application/x-www-form-urlencoded' }
  const cross: [string, Record<string, string>, Parts['body']][] = [
    ['cookie + Origin: http://evil.example', { ...cookie, origin: 'http://evil.example' }, asJson],
    ['cookie + Origin: null', { ...cookie, origin: 'null' }, asJson],
    ['cookie + Origin of another port of this host', { ...cookie, origin: 'http://127.0.0.1:{otherPort}' }, asJson],
    ['cookie + HTML form post (urlencoded)', cookie, asForm],
    ['cookie + Origin evil + text/plain JSON', { ...cookie, origin: 'http://evil.example' }, { text: () => json, type: 'text/plain' }],
  ]
  for (const [what, headers, body] of cross) r.add('cross-site', what, 'reject', { auth: 'none', headers, body })
}

function formOf(v: unknown, prefix = ''): string {
  const parts: string[] = []
  const walk = (x: unknown, key: string): void => {
    if (x && typeof x === 'object') for (const [k, y] of Object.entries(x)) walk(y, key ? `${key}[${k}]` : k)
    else parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(x))}`)
  }
  walk(v ?? {}, prefix)
  return parts.length ? parts.join('&') : 'dryRun=false&hostile=1'
}

function contentCases(r: RouteCases): void {
  if (!r.hasBody) return
  const json = r.baseText()
  const boundary = 'hostileBoundary'
  const multipart = `--${boundary}\r\ncontent-disposition: form-data; name="json"\r\n\r\n${json}\r\n--${boundary}--\r\n`
  const types: [string, string | null, () => string | Buffer][] = [
    ['text/plain', 'text/plain;charset=UTF-8', () => json],
    ['form-urlencoded', 'application/x-www-form-urlencoded', () => formOf(r.baseBody)],
    ['multipart/form-data', `multipart/form-data; boundary=${boundary}`, () => multipart],
    ['no content type', null, () => json],
    ['application/xml', 'application/xml', () => '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///dev/zero">]><x>&e;</x>'],
    ['application/octet-stream', 'application/octet-stream', () => Buffer.from(json)],
    ['text/event-stream', 'text/event-stream', () => `data: ${json}\n\n`],
    ['application/jsonp', 'application/jsonp', () => json],
    ['application/json; charset=utf-16 (UTF-16 body)', 'application/json; charset=utf-16', () => Buffer.from(`\ufeff${json}`, 'utf16le')],
  ]
  for (const [what, type, text] of types) r.add('content type', `JSON body sent as ${what}`, 'reject', { body: { text, type } })
  r.add('content type', 'file upload (content-disposition: ../../victim/x)', r.op.body ? 'reject' : 'survive', {
    headers: { 'content-disposition': 'attachment; filename="../../victim/x"' },
    body: { text: () => json, type: 'application/json' },
  })
  for (const b of brokenJson(json)) r.add('JSON syntax', b.what, 'reject', { body: { text: () => b.text, type: 'application/json' } })
  const str = firstStringField(r.op.body) ?? 'hostile'
  const sized = (n: number): Parts['body'] => ({ text: () => Buffer.from(`{"${str}":"${'A'.repeat(n)}"}`), type: 'application/json' })
  r.add('size', '10 MB JSON body', 'reject', { body: sized(10 << 20) })
  r.add('size', '1 MiB + 16 bytes JSON body', 'reject', { body: sized((1 << 20) + 16) })
}

function firstStringField(s?: JsonSchema): string | undefined {
  return Object.entries(s?.properties ?? {}).find(([, p]) => p.type === 'string')?.[0]
}

function bodyCases(r: RouteCases): void {
  if (!r.op.body) return
  const muts: Mutation[] = [...bodyMutations(r.op.body, r.baseBody, r.g, 4), ...duplicateKeyTexts(r.op.body, r.baseBody, r.g)]
  for (const mu of muts) r.add(mu.kind, mu.what, 'reject', { body: r.jsonBody(mu.value) })
}

/** Seeded random extras until the route has PER_ROUTE cases: traversal/unicode path suffixes, bad values, broken JSON. */
function fuzzCases(r: RouteCases, segs: Candidate[]): void {
  const rng = r.g.rng
  const impossible = segs.filter((s) => impossibleId(decodeSegment(String(s.value))))
  for (let tries = 0; r.out.length < PER_ROUTE && tries < 2000; tries++) {
    const pick = rng.int(4)
    const a = String(rng.pick(impossible).value)
    const b = String(rng.pick(segs).value)
    const pathParams = r.op.params.filter((p) => p.in === 'path')
    if (pick === 0 && pathParams.length) {
      const p = rng.pick(pathParams)
      r.add('fuzz: path parameter', `${p.name} = ${describeValue(decodeSegment(a + b))}`, 'reject', { pathValues: { [p.name]: a + b } })
    } else if (pick === 1 && r.op.body) {
      const muts = bodyMutations(r.op.body, r.baseBody, r.g, 1)
      if (muts.length) {
        const mu = rng.pick(muts)
        r.add(`fuzz: ${mu.kind}`, mu.what, 'reject', { body: r.jsonBody(mu.value) })
      }
    } else if (pick === 2 && r.hasBody) {
      const text = r.baseText()
      const cut = 1 + rng.int(Math.max(1, text.length - 1))
      const junk = String.fromCharCode(rng.pick([0, 7, 0x22, 0x5c, 0x7b, 0x7d, 0xd800, 0xfffe]))
      const broken = text.slice(0, cut) + junk
      let parses = true
      try {
        JSON.parse(broken)
      } catch {
        parses = false
      }
      const what = `base body cut at ${cut} + U+${junk.charCodeAt(0).toString(16)}`
      if (!parses) r.add('fuzz: JSON syntax', what, 'reject', { body: { text: () => broken, type: 'application/json' } })
    } else {
      const qs = r.op.params.filter((p) => p.in === 'query')
      if (qs.length && rng.int(2) === 0) {
        const p = rng.pick(qs)
        const v = a + b
        const query: [string, string][] = [...r.baseQuery.filter(([k]) => k !== p.name), [p.name, v]]
        const what = `${p.name} = ${describeValue(decodeQuery(v))}`
        if (definitelyInvalid(p.schema, decodeQuery(v))) r.add('fuzz: query parameter', what, 'reject', { query })
      } else if (!pathParams.length) {
        r.add('fuzz: path suffix', `path + /${describeValue(decodeSegment(a + b))}`, 'reject', { suffix: `/${a}${b}` })
      } else {
        const p = rng.pick(pathParams)
        r.add('fuzz: path parameter', `${p.name} = ${describeValue(decodeSegment(b + a))}`, 'reject', { pathValues: { [p.name]: b + a } })
      }
    }
  }
}

/** All hostile requests for one operation; `fast` allows "survive" cases (GET routes that answer quickly). */
export function casesForOperation(op: Op, g: Gen, fast: boolean): HttpCase[] {
  const r = new RouteCases(op, g)
  const segs = segmentValues(g.guard)
  const canSurvive = fast && op.method === 'GET'
  pathParamCases(r, segs, canSurvive)
  queryCases(r, canSurvive)
  commonCases(r)
  contentCases(r)
  bodyCases(r)
  fuzzCases(r, segs)
  return r.out
}

/** The valid request each route's cases start from (nonexistent ids): probes how fast a GET route answers. */
export function baseCase(op: Op, g: Gen): HttpCase {
  const r = new RouteCases(op, g)
  r.add('probe', 'valid request', 'survive')
  return r.out[0] as HttpCase
}
