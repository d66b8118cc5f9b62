/**
 * sha256 (LFS) or git-sha1 of a file, fed in file order. Big files are hashed on a hash thread (worker
 * threads shared by all downloads, each file on one of them): the buffer is transferred there, not
 * copied, and comes back for reuse, so the main thread only moves bytes between sockets and disk
 * (#18: hashing on the main thread competed with the socket reads and held the event loop ~2.5 ms per
 * 4 MiB). Small files are hashed inline: a round trip costs more than hashing a few MiB. Only where
 * there are ≥ 4 cores (see THREADS_BY_DEFAULT).
 */
import { createHash, type Hash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

export interface Hasher {
  /** Hashes the first `n` bytes of `buf`; resolves with a buffer to reuse (`buf` itself, or its memory back). */
  update(buf: Buffer, n: number): Promise<Buffer>
  digest(): Promise<string>
  /** Lets go of an unfinished hash (the download stopped). */
  close(): void
}

/** Files at least this big are hashed on a hash thread. */
export const OFF_THREAD_BYTES = 16 * 1024 * 1024

/**
 * Hash threads only with cores to spare: on the 2-core development machine they did not pay (A/B on
 * big-4g, same session: 310–345 MiB/s and 2.5–3.4 CPU s/GiB on threads vs 414–777 MiB/s and 1.6–1.9
 * inline — the hash then runs on another core than the one the bytes were just read on, and competes
 * with everything else for two cores). Not measured on ≥ 4 cores.
 */
export const THREADS_BY_DEFAULT = availableParallelism() >= 4

export function makeHasher(spec: { size: number; lfs: boolean }, threads = THREADS_BY_DEFAULT): Hasher {
  return threads && spec.size >= OFF_THREAD_BYTES ? new ThreadHasher(spec) : new InlineHasher(spec)
}

const start = (spec: { size: number; lfs: boolean }): Hash =>
  spec.lfs ? createHash('sha256') : createHash('sha1').update(`blob ${spec.size}\0`)

class InlineHasher implements Hasher {
  private readonly hash: Hash
  constructor(spec: { size: number; lfs: boolean }) {
    this.hash = start(spec)
  }
  update(buf: Buffer, n: number): Promise<Buffer> {
    this.hash.update(buf.subarray(0, n))
    return Promise.resolve(buf)
  }
  digest(): Promise<string> {
    return Promise.resolve(this.hash.digest('hex'))
  }
  close(): void {}
}

// The thread's code, evaluated (no separate build entry): one Hash per file id; updates answer with the memory.
const CODE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const hashes = new Map()
parentPort.on('message', (m) => {
  if (m.op === 'start') hashes.set(m.id, m.lfs ? createHash('sha256') : createHash('sha1').update('blob ' + m.size + '\\0'))
  else if (m.op === 'update') {
    hashes.get(m.id).update(new Uint8Array(m.mem, m.off, m.n))
    if (m.mem instanceof SharedArrayBuffer) parentPort.postMessage({ id: m.id, ok: true })
    else parentPort.postMessage({ id: m.id, mem: m.mem, ok: true }, [m.mem])
  } else if (m.op === 'digest') {
    const h = hashes.get(m.id)
    hashes.delete(m.id)
    parentPort.postMessage({ id: m.id, hex: h.digest('hex') })
  } else if (m.op === 'drop') hashes.delete(m.id)
})
`

/** A hash thread's answer: an update's memory back (ok), or the digest; {} when the thread failed. */
interface Answer {
  ok?: boolean
  mem?: ArrayBuffer
  hex?: string
}

interface Thread {
  worker: Worker
  /** Per file id: what waits for answers, in order. */
  waiting: Map<number, ((m: Answer) => void)[]>
  files: number
  /** Answers due: the thread keeps the process alive only while there are some. */
  due: number
  failed?: Error
}

const threads: Thread[] = []
let nextId = 1

function thread(): Thread {
  const max = Math.max(1, Math.min(2, availableParallelism() - 1))
  if (threads.length < max) {
    const worker = new Worker(CODE, { eval: true })
    const t: Thread = { worker, waiting: new Map(), files: 0, due: 0 }
    worker.on('message', (m: Answer & { id: number }) => {
      if (--t.due === 0) worker.unref()
      t.waiting.get(m.id)?.shift()?.(m)
    })
    worker.on('error', (err) => {
      t.failed = err
      t.due = 0
      threads.splice(threads.indexOf(t), 1)
      for (const q of t.waiting.values()) for (const cb of q.splice(0)) cb({})
    })
    worker.unref() // an idle hash thread does not keep the process alive (after the listeners: they ref it)
    threads.push(t)
    return t
  }
  return threads.reduce((a, b) => (b.files < a.files ? b : a))
}

class ThreadHasher implements Hasher {
  private readonly t = thread()
  private readonly id = nextId++
  private readonly queue: ((m: Answer) => void)[] = []

  constructor(spec: { size: number; lfs: boolean }) {
    this.t.files++
    this.t.waiting.set(this.id, this.queue)
    this.t.worker.postMessage({ op: 'start', id: this.id, size: spec.size, lfs: spec.lfs })
  }

  private answer(): Promise<Answer> {
    if (this.t.due++ === 0) this.t.worker.ref()
    return new Promise((resolve) => this.queue.push(resolve))
  }

  async update(buf: Buffer, n: number): Promise<Buffer> {
    const back = this.answer()
    if (buf.buffer instanceof SharedArrayBuffer) {
      // the aligned pool (buffers.ts): the thread reads the shared memory; the same buffer is reused
      this.t.worker.postMessage({ op: 'update', id: this.id, mem: buf.buffer, off: buf.byteOffset, n })
      if (!(await back).ok) throw new Error(`the hash thread failed: ${this.t.failed?.message}`)
      return buf
    }
    // other buffers must own their memory (allocUnsafeSlow): transferred as a whole, and back
    if (buf.byteOffset !== 0 || buf.buffer.byteLength !== buf.length) throw new Error('a hash buffer must own its memory')
    const mem = buf.buffer
    this.t.worker.postMessage({ op: 'update', id: this.id, mem, off: 0, n }, [mem])
    const m = await back
    if (!m.mem) throw new Error(`the hash thread failed: ${this.t.failed?.message}`)
    return Buffer.from(m.mem)
  }

  async digest(): Promise<string> {
    const back = this.answer()
    this.t.worker.postMessage({ op: 'digest', id: this.id })
    const m = await back
    this.release()
    if (m.hex === undefined) throw new Error(`the hash thread failed: ${this.t.failed?.message}`)
    return m.hex
  }

  close(): void {
    if (!this.t.waiting.has(this.id)) return
    // answers still due are dropped with the file (their buffers are not reused)
    this.t.worker.postMessage({ op: 'drop', id: this.id })
    this.release()
  }

  private release(): void {
    if (this.t.waiting.delete(this.id)) this.t.files--
  }
}
