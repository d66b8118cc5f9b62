// @ts-check
/**
 * multipart/form-data parsing for /v1/audio/transcriptions and /v1/audio/translations (RFC 7578; what
 * Starlette's `request.form()` gives FastAPI's `Form`/`UploadFile` fields). Pure: bytes in, fields out.
 */

/**
 * @typedef {object} FormPart
 * @property {string} name
 * @property {string | null} filename   set for file fields (UploadFile)
 * @property {string | null} contentType
 * @property {Buffer} data
 */

export class MultipartError extends Error {}

/**
 * The boundary of a `multipart/form-data; boundary=…` content type, or null for any other type.
 * @param {string | undefined} contentType
 */
export function formBoundary(contentType) {
  if (!contentType) return null
  if (contentType.split(';')[0]?.trim().toLowerCase() !== 'multipart/form-data') return null
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  if (m) return m[1] ?? m[2] ?? null
  throw new MultipartError('Missing boundary in multipart.')
}

/**
 * A header parameter such as `name="file"` or `filename="a.wav"` (quoted or not).
 * @param {string} header @param {string} key
 */
function headerParam(header, key) {
  const m = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(header)
  if (!m) return null
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? null)
}

/**
 * Split a multipart body into its parts.
 * @param {Buffer} body
 * @param {string} boundary
 * @returns {FormPart[]}
 */
export function parseMultipart(body, boundary) {
  const delim = Buffer.from(`--${boundary}`)
  /** @type {FormPart[]} */
  const parts = []
  let at = body.indexOf(delim)
  if (at < 0) throw new MultipartError('No multipart boundary found in the body.')
  for (;;) {
    let start = at + delim.length
    if (body.subarray(start, start + 2).toString() === '--') return parts // closing delimiter
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), start)
    if (next < 0) throw new MultipartError('The multipart body ends without its closing boundary.')
    const headEnd = body.indexOf('\r\n\r\n', start)
    if (headEnd < 0 || headEnd > next) throw new MultipartError('A multipart part has no header block.')
    /** @type {Record<string, string>} */
    const headers = {}
    for (const line of body.subarray(start, headEnd).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':')
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
    }
    const disposition = headers['content-disposition'] ?? ''
    const name = headerParam(disposition, 'name')
    if (!/^form-data/i.test(disposition) || name === null) throw new MultipartError('A multipart part has no form-data name.')
    parts.push({
      name,
      filename: headerParam(disposition, 'filename'),
      contentType: headers['content-type'] ?? null,
      data: body.subarray(headEnd + 4, next),
    })
    at = next + 2
  }
}

/**
 * Text fields as strings (the last value wins, like Starlette's FormData.get) and file fields as parts.
 * @param {FormPart[]} parts
 */
export function formFields(parts) {
  /** @type {Record<string, string>} */
  const text = {}
  /** @type {Record<string, FormPart>} */
  const files = {}
  for (const p of parts) {
    if (p.filename !== null) files[p.name] = p
    else text[p.name] = p.data.toString('utf8')
  }
  return { text, files }
}
