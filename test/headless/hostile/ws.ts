/**
 * Hostile WebSocket RPC frames (/rpc, oRPC's peer protocol: {i, p: {u, b: {json, meta}}}), generated from
 * the contract itself, which the WebSocket serves whole (event-iterator procedures included).
 */
import { ZodToJsonSchemaConverter } from '@orpc/zod/zod4'
import type { AnySchema } from '@orpc/contract'
import { contract } from '../../../src/shared/contract'
import { bodyMutations, duplicateKeyTexts, type Gen, type WsCase } from './cases'
import { sample, type JsonSchema } from './schema'
import { toJsonText, unsafeReason } from './values'

export interface Procedure {
  /** e.g. models.delete */
  name: string
  /** e.g. /models/delete */
  url: string
  input?: JsonSchema
}

interface ProcedureLike {
  '~orpc': { inputSchema?: AnySchema }
}

export function procedures(): Procedure[] {
  const converter = new ZodToJsonSchemaConverter()
  const out: Procedure[] = []
  const walk = (node: unknown, path: string[]): void => {
    if (node && typeof node === 'object' && '~orpc' in node) {
      const schema = (node as ProcedureLike)['~orpc'].inputSchema
      const input = schema ? (converter.convert(schema, { strategy: 'input' })[1] as JsonSchema) : undefined
      out.push({ name: path.join('.'), url: `/${path.join('/')}`, input })
      return
    }
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) walk(v, [...path, k])
  }
  walk(contract, [])
  return out
}

let seq = 0
const nextId = (): string => `h${++seq}`

function request(url: string, inputText: string | undefined, extra = ''): { id: string; frame: string } {
  const id = nextId()
  const b = inputText === undefined ? '{}' : `{"json":${inputText}${extra}}`
  return { id, frame: `{"i":${JSON.stringify(id)},"p":{"u":${JSON.stringify(url)},"b":${b}}}` }
}

/** Hostile frames: per procedure, invalid inputs (reject) and unknown paths (reject); then broken envelopes (survive). */
export function wsCases(g: Gen, procs: Procedure[]): WsCase[] {
  const out: WsCase[] = []
  const allowed = procs.flatMap((p) => [p.url, p.url.toUpperCase()])
  const push = (c: Omit<WsCase, 'transport' | 'frame'> & { frame: string | Buffer }): void => {
    if (typeof c.frame === 'string' && c.frame.length < 300_000 && unsafeReason(c.frame, g.guard, allowed)) return
    const f = c.frame
    out.push({ ...c, transport: 'ws', frame: () => f })
  }
  for (const p of procs) {
    const route = `rpc ${p.name}`
    for (const [what, url] of [
      ['unknown sub-path', `${p.url}/hostile`],
      ['upper-case path', p.url.toUpperCase()],
      ['encoded slash', p.url.replace(/\/([^/]*)$/, '%2F$1')],
    ] as const) {
      const r = request(url, undefined)
      push({ route, kind: 'rpc path', what, expect: 'reject', frame: r.frame, id: r.id })
    }
    if (!p.input) continue
    const base = sample(p.input).value
    const muts = [...bodyMutations(p.input, base, g, 1), ...duplicateKeyTexts(p.input, base, g)]
    for (const m of muts) {
      const r = request(p.url, toJsonText(m.value))
      push({ route, kind: `input: ${m.kind}`, what: m.what, expect: 'reject', frame: r.frame, id: r.id })
    }
    const huge = request(p.url, `{"hostile":"${'A'.repeat(17 << 20)}"}`)
    if (p.name !== 'settings.update') continue
    push({ route, kind: 'size', what: '17 MiB frame (over the 16 MiB cap)', expect: 'survive', frame: huge.frame, id: huge.id })
  }
  const any = procs.find((p) => p.name === 'settings.update') ?? procs[0]!
  const anyInput = toJsonText(sample(any.input ?? {}).value)
  const route = 'rpc (frame)'
  const blobHead = '{"i":"hb1","p":{"u":"/system/health","h":{"content-disposition":"attachment; filename=\\"../../victim/x\\""}}}'
  const multipart = '{"content-type":"multipart/form-data; boundary=x","host":"evil.example"}'
  const form = '{"content-type":"application/x-www-form-urlencoded"}'
  const digits = '9'.repeat(100_000)
  const blobTail = Buffer.concat([Buffer.from([0xff]), Buffer.alloc(1 << 16, 0x41)])
  const frames: [string, string | Buffer, string?][] = [
    ['invalid JSON', '{"i":"x","p":'],
    ['binary garbage', Buffer.from([0xff, 0x00, 0xfe, 0x7b, 0xff])],
    ['JSON + 0xFF + binary blob with a hostile content-disposition', Buffer.concat([Buffer.from(blobHead), blobTail]), 'hb1'],
    ['empty object', '{}'],
    ['id only', '{"i":"x1"}'],
    ['payload null', '{"i":"x2","p":null}'],
    ['url is a number', '{"i":"x3","p":{"u":42}}'],
    ['url is absolute to another host', '{"i":"x4","p":{"u":"http://evil.example/system/health","b":{}}}', 'x4'],
    ['file: url into the victim', `{"i":"x5","p":{"u":"file://${g.guard}/victim/secret.txt","b":{}}}`, 'x5'],
    ['id is an object', '{"i":{"__proto__":{"admin":true}},"p":{"u":"/system/health","b":{}}}'],
    ['id of 1 MB', `{"i":"${'I'.repeat(1 << 20)}","p":{"u":"/system/health","b":{}}}`],
    ['event-iterator message for an unknown id', '{"i":"nope","t":3,"p":{"e":"message","d":{"x":1}}}'],
    ['abort for an unknown id', '{"i":"nope2","t":4}'],
    ['unknown message type', '{"i":"x6","t":99,"p":{}}'],
    ['method DELETE + hostile headers', `{"i":"x7","p":{"u":"/system/health","m":"DELETE","h":${multipart},"b":"--x\\r\\n"}}`, 'x7'],
    ['form-urlencoded body', `{"i":"x8","p":{"u":"${any.url}","h":${form},"b":"a[__proto__][x]=1"}}`, 'x8'],
    ['unknown meta type', `{"i":"x9","p":{"u":"${any.url}","b":{"json":${anyInput},"meta":[[99,"x"]]}}}`, 'x9'],
    ['meta into __proto__', `{"i":"x10","p":{"u":"${any.url}","b":{"json":${anyInput},"meta":[[1,"__proto__","polluted"]]}}}`, 'x10'],
    ['meta is a string', `{"i":"x11","p":{"u":"${any.url}","b":{"json":${anyInput},"meta":"nope"}}}`, 'x11'],
    ['bigint meta of 100k digits', `{"i":"x12","p":{"u":"${any.url}","b":{"json":{"x":"${digits}"},"meta":[[0,"x"]]}}}`, 'x12'],
    ['100k meta entries', `{"i":"x13","p":{"u":"${any.url}","b":{"json":{},"meta":[${'[3,"x"],'.repeat(99_999)}[3,"x"]]}}}`, 'x13'],
    ['10k-deep nesting in the body', `{"i":"x14","p":{"u":"${any.url}","b":{"json":${'['.repeat(10_000)}${']'.repeat(10_000)}}}}`, 'x14'],
    ['10k-deep nesting in the envelope', `{"i":"x15","p":${'{"p":'.repeat(10_000)}1${'}'.repeat(10_000)}}`],
    ['duplicate url keys', '{"i":"x16","p":{"u":"/system/health","u":"/hostile/nothing","b":{}}}', 'x16'],
    ['NaN id', '{"i":NaN,"p":{"u":"/system/health"}}'],
    ['1e309 id', '{"i":1e309,"p":{"u":"/system/health","b":{}}}'],
    ['empty url', '{"i":"x19","p":{"u":"","b":{}}}'],
    ['control characters in url', '{"i":"x20","p":{"u":"/system/health\\u0000\\r\\n","b":{}}}', 'x20'],
    ['lone surrogate in url', '{"i":"x21","p":{"u":"/system/\\ud800","b":{}}}', 'x21'],
  ]
  for (const [what, frame, id] of frames) push({ route, kind: 'frame', what, expect: 'survive', frame, id })
  // The handshake itself: a refused upgrade answers a bare status (no body a browser could read).
  const cookie = `inferadmin_token=${encodeURIComponent(g.token)}`
  const bearer = `Bearer ${g.token}`
  const handshakes: [string, string, Record<string, string>][] = [
    ['cookie + Origin: http://evil.example', '/rpc', { cookie, origin: 'http://evil.example' }],
    ['cookie + Origin: null', '/rpc', { cookie, origin: 'null' }],
    ['cookie + Origin of another port of this host', '/rpc', { cookie, origin: 'http://127.0.0.1:{otherPort}' }],
    ['cookie without Origin', '/rpc', { cookie }],
    ['no credentials', '/rpc', {}],
    ['wrong bearer token', '/rpc', { authorization: 'Bearer wrong' }],
    ['Host: evil.example (DNS rebinding)', '/rpc', { authorization: bearer, host: 'evil.example:{port}' }],
    ['path /rpc/..%2F..%2Fvictim', '/rpc/..%2F..%2Fvictim', { authorization: bearer }],
    ['path /rpc%2F', '/rpc%2F', { authorization: bearer }],
  ]
  for (const [what, path, headers] of handshakes) {
    const upgrade = { path, headers }
    out.push({ transport: 'ws', route: 'rpc (upgrade)', kind: 'upgrade', what, expect: 'reject', frame: () => '', upgrade })
  }
  // Prototype names must not resolve to anything in the router.
  for (const [what, url] of [
    ['__proto__ route', '/__proto__/toString'],
    ['constructor route', '/constructor/constructor'],
    ['prototype name inside a router', '/system/__proto__'],
    ['prototype name as a procedure', '/system/health/constructor'],
  ]) {
    const r = request(url as string, undefined)
    push({ route, kind: 'rpc path', what: what as string, expect: 'reject', frame: r.frame, id: r.id })
  }
  return out
}
