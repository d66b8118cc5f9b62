import type { IncomingMessage } from 'node:http'
import { badRequest, type GatewayError } from './openai-error'
import type { BodyKind } from './routing'

/** A byte range [start, end) in the request body. */
export interface Range {
  start: number
  end: number
}

/** What the gateway reads from a request body; the body itself goes upstream as received. */
export interface ModelField {
  /** Absent when the body has no `model` (vLLM would pick its first served name; the gateway cannot). */
  model?: string
  /** Where the value sits, to swap in the served name when the client used an alias. */
  range?: Range
  /** `"stream": true` at the top level (JSON only). */
  stream: boolean
}

export type BodyRead = { ok: true; body: Buffer } | { ok: false; error: GatewayError | null }

const mib = (n: number): string => `${Math.round((n / 1048576) * 10) / 10} MiB`

function tooLarge(limit: number): GatewayError {
  return {
    status: 413,
    type: 'invalid_request_error',
    code: 'request_too_large',
    message: `The request body is over the gateway's limit of ${mib(limit)}. Send a smaller body (split the input or the audio file).`,
  }
}

/**
 * The whole request body, at most `limit` bytes: a larger Content-Length is refused before reading, a body that grows
 * past it while read is refused then (413). `error: null` when the client went away.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ ok: false, error: tooLarge(limit) })
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (r: BodyRead): void => {
      req.off('data', onData).off('end', onEnd).off('close', onClose)
      resolve(r)
    }
    const onData = (c: Buffer): void => {
      size += c.length
      if (size > limit) {
        req.pause()
        done({ ok: false, error: tooLarge(limit) })
      } else chunks.push(c)
    }
    const onEnd = (): void => done({ ok: true, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) })
    const onClose = (): void => {
      if (!req.complete) done({ ok: false, error: null })
    }
    req.on('data', onData).on('end', onEnd).on('close', onClose)
  })
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d])
const skipWs = (b: Buffer, i: number): number => {
  while (i < b.length && WS.has(b[i] as number)) i++
  return i
}

/** End (exclusive) of the JSON string starting at the quote at i, or -1. */
function stringEnd(b: Buffer, i: number): number {
  for (let j = i + 1; j < b.length; j++) {
    const c = b[j]
    if (c === 0x5c) j++
    else if (c === 0x22) return j + 1
  }
  return -1
}

/** End (exclusive) of the JSON value starting at i, or -1; nested values are skipped without parsing them. */
function valueEnd(b: Buffer, i: number): number {
  const c = b[i]
  if (c === 0x22) return stringEnd(b, i)
  if (c === 0x7b || c === 0x5b) {
    let depth = 0
    for (let j = i; j < b.length; j++) {
      const d = b[j]
      if (d === 0x22) {
        j = stringEnd(b, j) - 1
        if (j < 0) return -1
      } else if (d === 0x7b || d === 0x5b) depth++
      else if (d === 0x7d || d === 0x5d) {
        depth--
        if (depth === 0) return j + 1
      }
    }
    return -1
  }
  let j = i
  while (j < b.length && !WS.has(b[j] as number) && b[j] !== 0x2c && b[j] !== 0x7d && b[j] !== 0x5d) j++
  return j > i ? j : -1
}

/**
 * Byte ranges of the top-level members of a JSON object (the last one wins for a repeated key, as in JSON.parse and
 * vLLM), or null if the body is not a JSON object. One pass, no allocation for nested values: the body is never
 * re-serialised.
 */
export function scanTopLevel(b: Buffer): Map<string, Range> | null {
  const out = new Map<string, Range>()
  let i = skipWs(b, b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0)
  if (b[i] !== 0x7b) return null
  i = skipWs(b, i + 1)
  if (b[i] === 0x7d) return skipWs(b, i + 1) === b.length ? out : null
  for (;;) {
    if (b[i] !== 0x22) return null
    const keyEnd = stringEnd(b, i)
    if (keyEnd < 0) return null
    let key: string
    try {
      key = JSON.parse(b.toString('utf8', i, keyEnd)) as string
    } catch {
      return null
    }
    i = skipWs(b, keyEnd)
    if (b[i] !== 0x3a) return null
    i = skipWs(b, i + 1)
    const end = valueEnd(b, i)
    if (end < 0) return null
    out.set(key, { start: i, end })
    i = skipWs(b, end)
    if (b[i] === 0x2c) i = skipWs(b, i + 1)
    else if (b[i] === 0x7d) return skipWs(b, i + 1) === b.length ? out : null
    else return null
  }
}

/** `model` and `stream` of a JSON body, or a 400 naming what is wrong. */
export function jsonModel(b: Buffer): { ok: true; field: ModelField } | { ok: false; error: GatewayError } {
  const members = scanTopLevel(b)
  if (!members)
    return {
      ok: false,
      error: badRequest('The request body is not a JSON object. Send Content-Type: application/json with an object body.', 'invalid_json'),
    }
  const s = members.get('stream')
  const stream = !!s && b.toString('latin1', s.start, s.end) === 'true'
  const range = members.get('model')
  if (!range) return { ok: true, field: { stream } }
  let model: unknown
  try {
    model = JSON.parse(b.toString('utf8', range.start, range.end))
  } catch {
    model = undefined
  }
  if (typeof model !== 'string')
    return { ok: false, error: badRequest('`model` must be a string: the name of a model from GET /v1/models.', 'invalid_model', 'model') }
  return { ok: true, field: { model, range, stream } }
}

/** The boundary of a multipart/form-data Content-Type, or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null
  const m = /;\s*boundary=(?:"([^"]{1,200})"|([^\s;]{1,200}))/i.exec(contentType)
  return m ? ((m[1] ?? m[2]) as string) : null
}

/** The `model` form field of a multipart/form-data body (audio transcriptions), or a 400 naming what is wrong. */
export function multipartModel(
  b: Buffer,
  contentType: string | undefined,
): { ok: true; field: ModelField } | { ok: false; error: GatewayError } {
  const boundary = multipartBoundary(contentType)
  if (!boundary)
    return {
      ok: false,
      error: badRequest('This route takes multipart/form-data with a boundary (a file and a `model` field).', 'invalid_multipart'),
    }
  const delim = Buffer.from(`--${boundary}`)
  const nextDelim = Buffer.from(`\r\n--${boundary}`)
  let at = b.indexOf(delim)
  while (at >= 0) {
    const headStart = at + delim.length + 2 // past the delimiter's CRLF ("--" here ends the body)
    if (b[at + delim.length] === 0x2d) break
    const headEnd = b.indexOf('\r\n\r\n', headStart)
    if (headEnd < 0) break
    const next = b.indexOf(nextDelim, headEnd + 4)
    if (next < 0) break
    const head = b.toString('latin1', headStart, headEnd)
    if (/content-disposition:\s*form-data;[^\r\n]*\bname="model"/i.test(head) && !/\bfilename=/i.test(head)) {
      const range = { start: headEnd + 4, end: next }
      return { ok: true, field: { model: b.toString('utf8', range.start, range.end), range, stream: false } }
    }
    at = next + 2
  }
  return { ok: true, field: { stream: false } }
}

export function modelField(
  kind: BodyKind,
  b: Buffer,
  contentType: string | undefined,
): { ok: true; field: ModelField } | { ok: false; error: GatewayError } {
  return kind === 'json' ? jsonModel(b) : multipartModel(b, contentType)
}

/** The body with the model's value replaced (alias → served name); everything else byte for byte. */
export function replaceModel(kind: BodyKind, b: Buffer, range: Range, name: string): Buffer {
  const value = Buffer.from(kind === 'json' ? JSON.stringify(name) : name)
  return Buffer.concat([b.subarray(0, range.start), value, b.subarray(range.end)])
}
