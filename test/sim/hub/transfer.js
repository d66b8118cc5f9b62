// @ts-check
/**
 * File bodies of the stand-in: resolve (R4: git files served directly, LFS files 302 to the CDN
 * origin with X-Linked-* headers) and the CDN (R5: signed URLs, Range, 416), with body faults.
 */
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileMeta } from './repos.js'

/** @typedef {import('./content.js').FileContent} FileContent */
/** @typedef {import('./faults.js').Fault} Fault */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

const SECRET = 'inferadmin-hub-sim'
/** @param {string} sha @param {number} exp */
const sign = (sha, exp) => createHmac('sha256', SECRET).update(`${sha}:${exp}`).digest('hex').slice(0, 32)

/** @param {string} sha256 @param {string} file @param {string} cdnUrl */
export function signedUrl(sha256, file, cdnUrl) {
  const exp = Math.floor(Date.now() / 1000) + 3600
  const u = new URL(`/cdn/${sha256}`, cdnUrl)
  u.searchParams.set('file', file)
  u.searchParams.set('exp', String(exp))
  u.searchParams.set('sig', sign(sha256, exp))
  return u.href
}

/** @param {URL} url @param {string} sha */
export function checkSignature(url, sha) {
  const exp = Number(url.searchParams.get('exp'))
  return Number.isFinite(exp) && exp * 1000 > Date.now() && url.searchParams.get('sig') === sign(sha, exp)
}

/**
 * Parses a single Range header against `size`. undefined = whole body; 'unsatisfiable' → 416.
 * @param {string | undefined} h @param {number} size
 * @returns {{ start: number, end: number } | undefined | 'unsatisfiable'}
 */
export function parseRange(h, size) {
  const m = h ? /^bytes=(\d*)-(\d*)$/.exec(h.trim()) : null
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const n = Number(m[2])
    return n === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size }
  }
  const start = Number(m[1])
  if (start >= size) return 'unsatisfiable'
  const end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1)
  return end <= start ? 'unsatisfiable' : { start, end }
}

/** @param {ServerResponse} res @returns {Promise<void>} */
function drainOrClose(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

/**
 * Writes bytes [start, end) of `content` honouring backpressure and body faults.
 * @param {ServerResponse} res @param {FileContent} content @param {number} start @param {number} end
 * @param {Fault[]} faults @returns {Promise<number>} bytes written
 */
export async function writeBody(res, content, start, end, faults) {
  let sent = 0
  let closed = false
  res.on('close', () => {
    closed = true
  })
  const throttle = faults.find((f) => f.kind === 'throttle')
  const corrupt = faults.filter((f) => f.kind === 'corrupt')
  const cut = faults.find((f) => f.kind === 'stall' || f.kind === 'truncate' || f.kind === 'drop')
  const began = Date.now()
  for await (let buf of content.read(start, end)) {
    if (closed) return sent
    const pos = start + sent
    for (const f of corrupt) {
      const at = f.at ?? 0
      if (at >= pos && at < pos + buf.length) {
        buf = Buffer.from(buf)
        buf[at - pos] = (buf[at - pos] ?? 0) ^ 0xff
      }
    }
    if (cut && sent + buf.length > (cut.afterBytes ?? 0)) {
      const n = Math.max(0, (cut.afterBytes ?? 0) - sent)
      if (n > 0) res.write(buf.subarray(0, n))
      sent += n
      if (cut.kind === 'stall') {
        await Promise.race([sleep(cut.ms ?? 60_000), once(res, 'close')])
        res.destroy()
      } else if (cut.kind === 'truncate') {
        // clean FIN with fewer bytes than Content-Length
        res.socket?.end()
      } else {
        if (res.socket?.resetAndDestroy) res.socket.resetAndDestroy()
        else res.destroy()
      }
      return sent
    }
    // write in ≤ 64 KiB slices when throttled so the rate is smooth
    const slices = throttle ? Math.ceil(buf.length / 65536) : 1
    for (let i = 0; i < slices; i++) {
      const part = slices === 1 ? buf : buf.subarray(i * 65536, (i + 1) * 65536)
      if (!res.write(part)) await drainOrClose(res)
      if (closed) return sent
      sent += part.length
      throttle?.onSent?.(part.length)
      if (throttle) {
        const due = began + (sent / (throttle.bytesPerSec ?? 1 << 20)) * 1000
        if (due > Date.now()) await sleep(due - Date.now())
      }
    }
  }
  res.end()
  return sent
}

/**
 * Headers + body of a ranged or full response.
 * @param {import('node:http').IncomingMessage} req @param {ServerResponse} res @param {FileContent} content
 * @param {Record<string, string>} headers @param {Fault[]} faults
 * @returns {Promise<{ status: number, bytes: number }>}
 */
export async function serveContent(req, res, content, headers, faults) {
  const ignoreRange = faults.some((f) => f.kind === 'ignoreRange')
  const range = ignoreRange ? undefined : parseRange(req.headers.range, content.size)
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${content.size}`, 'Content-Length': '0' }).end()
    return { status: 416, bytes: 0 }
  }
  const { start, end } = range ?? { start: 0, end: content.size }
  const status = range ? 206 : 200
  res.writeHead(status, {
    ...headers,
    'Accept-Ranges': 'bytes',
    'Content-Length': String(end - start),
    ...(range ? { 'Content-Range': `bytes ${start}-${end - 1}/${content.size}` } : {}),
  })
  if (req.method === 'HEAD') {
    res.end()
    return { status, bytes: 0 }
  }
  return { status, bytes: await writeBody(res, content, start, end, faults) }
}

/**
 * R4: resolve. Git files are served here; LFS files redirect to the CDN origin.
 * @param {{ req: import('node:http').IncomingMessage, res: ServerResponse, cdnUrl: string, blobs: Map<string, FileContent> }} io
 * @param {string} sha commit @param {string} path @param {FileContent} content @param {Fault[]} faults
 */
export async function resolveFile(io, sha, path, content, faults) {
  const m = await fileMeta(path, content)
  if (m.lfs) {
    io.blobs.set(m.lfs.oid, content)
    io.res
      .writeHead(302, {
        Location: signedUrl(m.lfs.oid, path, io.cdnUrl),
        'X-Repo-Commit': sha,
        'X-Linked-Etag': `"${m.lfs.oid}"`,
        'X-Linked-Size': String(m.size),
        ETag: `"${m.lfs.oid}"`,
        'Accept-Ranges': 'bytes',
        'Content-Length': '0',
      })
      .end()
    return { status: 302, bytes: 0 }
  }
  const type = path.endsWith('.json')
    ? 'application/json'
    : path.endsWith('.md') || path.endsWith('.txt')
      ? 'text/plain; charset=utf-8'
      : 'application/octet-stream'
  return serveContent(io.req, io.res, content, { ETag: `"${m.oid}"`, 'X-Repo-Commit': sha, 'Content-Type': type }, faults)
}
