// @ts-check
/**
 * File contents served by the Hub stand-in: small files held in memory, and generated files for the
 * large-file mode (deterministic bytes produced on the fly, never held in memory). Both expose the
 * same interface: size, byte ranges as a stream of Buffers, and the hashes the Hub reports
 * (git blob SHA-1, and for LFS files SHA-256 of the content + the pointer's SHA-1).
 */
import { createHash } from 'node:crypto'

const PIECE = 1 << 20 // generated content is produced in 1 MiB pieces

/**
 * @typedef {object} FileContent
 * @property {number} size
 * @property {(start: number, end: number) => AsyncGenerator<Buffer>} read  bytes [start, end)
 * @property {() => Promise<string>} sha256
 * @property {boolean} generated
 * @property {string} [declaredBy]  listed only (catalogue): size and hashes without bytes; names the repository
 * @property {string} [gitOid]      git blob id when it cannot be computed from the bytes (declared content)
 */

/** @param {Buffer} buf @returns {FileContent} */
export function memoryContent(buf) {
  /** @type {Promise<string> | undefined} */
  let sha
  return {
    size: buf.length,
    generated: false,
    async *read(start, end) {
      for (let p = start; p < end; p += PIECE) yield buf.subarray(p, Math.min(end, p + PIECE))
    },
    sha256: () => (sha ??= Promise.resolve(createHash('sha256').update(buf).digest('hex'))),
  }
}

/**
 * Generated content: `prefix` (e.g. a safetensors header) followed by `dataSize` bytes where piece k
 * is a fixed random-looking 1 MiB block with (seed, k) stamped into its first 16 bytes.
 * @param {{ prefix: Buffer, dataSize: number, seed: number }} spec
 * @returns {FileContent}
 */
export function generatedContent({ prefix, dataSize, seed }) {
  const base = Buffer.alloc(PIECE)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < PIECE; i += 4) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    base.writeUInt32LE(x, i)
  }
  const size = prefix.length + dataSize
  /** @param {number} k */
  const piece = (k) => {
    const b = Buffer.from(base)
    b.writeUInt32LE(seed >>> 0, 0)
    b.writeUInt32LE(k >>> 0, 4)
    b.writeUInt32LE(0x5afe7e45, 8)
    b.writeUInt32LE((seed + k) >>> 0, 12)
    return b
  }
  /** @param {number} start @param {number} end */
  async function* read(start, end) {
    let p = start
    if (p < prefix.length) {
      const e = Math.min(end, prefix.length)
      yield prefix.subarray(p, e)
      p = e
    }
    while (p < end) {
      const off = p - prefix.length
      const k = Math.floor(off / PIECE)
      const within = off - k * PIECE
      const take = Math.min(PIECE - within, end - p)
      const b = piece(k)
      yield within === 0 && take === PIECE ? b : b.subarray(within, within + take)
      p += take
    }
  }
  /** @type {Promise<string> | undefined} */
  let sha
  return {
    size,
    generated: true,
    read,
    sha256: () =>
      (sha ??= (async () => {
        const h = createHash('sha256')
        let n = 0
        for await (const b of read(0, size)) {
          h.update(b)
          // yield to the event loop now and then so the server keeps answering while hashing
          if (++n % 64 === 0) await new Promise((r) => setImmediate(r))
        }
        return h.digest('hex')
      })()),
  }
}

/**
 * `prefix` followed by zeros up to `size` (the seeded weight files of test/sim/seed.js, sparse on disk).
 * @param {Buffer} prefix @param {number} size
 * @returns {FileContent}
 */
export function zeroTailContent(prefix, size) {
  const zeros = Buffer.alloc(PIECE)
  /** @param {number} start @param {number} end */
  async function* read(start, end) {
    for (let p = start; p < end;) {
      const take = p < prefix.length ? Math.min(end, prefix.length) - p : Math.min(PIECE, end - p)
      yield p < prefix.length ? prefix.subarray(p, p + take) : zeros.subarray(0, take)
      p += take
    }
  }
  /** @type {Promise<string> | undefined} */
  let sha
  return {
    size,
    generated: true,
    read,
    sha256: () =>
      (sha ??= (async () => {
        const h = createHash('sha256')
        let n = 0
        for await (const b of read(0, size)) {
          h.update(b)
          if (++n % 64 === 0) await new Promise((r) => setImmediate(r))
        }
        return h.digest('hex')
      })()),
  }
}

/**
 * A file of the catalogue that is listed but has no bytes: its size is real-looking, its hashes are derived
 * from `key` (stable across runs); reading it throws (the stand-in refuses the download before that).
 * @param {number} size @param {string} repo @param {string} key
 * @returns {FileContent}
 */
export function declaredContent(size, repo, key) {
  const digest = (/** @type {string} */ alg) => createHash(alg).update(`inferadmin-sim catalogue\n${key}\n${size}`).digest('hex')
  return {
    size,
    generated: true,
    declaredBy: repo,
    gitOid: digest('sha1'),
    // eslint-disable-next-line require-yield
    async *read() {
      throw new Error(`${key} is listed in the catalogue without contents`)
    },
    sha256: () => Promise.resolve(digest('sha256')),
  }
}

/** @param {string} s */
export function textContent(s) {
  return memoryContent(Buffer.from(s, 'utf8'))
}

/** git blob id: sha1("blob <size>\0" + bytes). */
export async function gitSha1(/** @type {FileContent} */ c) {
  if (c.gitOid) return c.gitOid
  const h = createHash('sha1').update(`blob ${c.size}\0`)
  for await (const b of c.read(0, c.size)) h.update(b)
  return h.digest('hex')
}

/** @param {string} sha256 @param {number} size */
export function lfsPointer(sha256, size) {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`
}

const LFS_PATTERN = /\.(safetensors|bin|gguf|pt|pth|h5|onnx|msgpack|model)$/
export const LFS_MIN_SIZE = 10 * 1024 * 1024
/** @param {string} path @param {number} size */
export function isLfsPath(path, size) {
  return LFS_PATTERN.test(path) || size >= LFS_MIN_SIZE
}

/**
 * A valid safetensors file: 8-byte little-endian header length, JSON header (dtype, shape,
 * data_offsets; padded with spaces to 8 bytes), then the tensor data.
 * @param {{ name: string, dtype: 'F32'|'F16'|'BF16'|'U8', shape: number[] }[]} tensors
 */
export function safetensorsHeader(tensors) {
  const width = { F32: 4, F16: 2, BF16: 2, U8: 1 }
  /** @type {Record<string, unknown>} */
  const header = { __metadata__: { format: 'pt' } }
  let off = 0
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1) * width[t.dtype]
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + n] }
    off += n
  }
  let json = JSON.stringify(header)
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8)
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)))
  return { prefix: Buffer.concat([len, Buffer.from(json)]), dataSize: off }
}

/**
 * @param {{ name: string, dtype: 'F32'|'F16'|'BF16'|'U8', shape: number[] }[]} tensors
 * @param {number} seed
 */
export function safetensorsFile(tensors, seed) {
  const { prefix, dataSize } = safetensorsHeader(tensors)
  const data = Buffer.alloc(dataSize)
  let x = (seed * 2246822519) >>> 0 || 7
  for (let i = 0; i + 4 <= dataSize; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    data.writeUInt32LE(x, i)
  }
  return Buffer.concat([prefix, data])
}

/**
 * Parameter counts per dtype from a safetensors header (what the Hub reports as `safetensors`).
 * @param {FileContent} c
 * @returns {Promise<Record<string, number>>}
 */
export async function safetensorsParams(c) {
  const head = []
  for await (const b of c.read(0, Math.min(c.size, 8))) head.push(b)
  const len = Number(Buffer.concat(head).readBigUInt64LE(0))
  const parts = []
  for await (const b of c.read(8, 8 + len)) parts.push(b)
  const header = /** @type {Record<string, {dtype: string, shape: number[]}>} */ (JSON.parse(Buffer.concat(parts).toString('utf8')))
  /** @type {Record<string, number>} */
  const out = {}
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue
    out[v.dtype] = (out[v.dtype] ?? 0) + v.shape.reduce((a, b) => a * b, 1)
  }
  return out
}
