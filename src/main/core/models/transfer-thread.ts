/**
 * The main thread's side of the transfer thread (transfer-worker.ts): one worker thread for every
 * download of the app, started on the first one and kept (unreferenced while idle, so it never holds
 * the process open). Why a thread (#18): on the main thread the socket reads, writes and sha256 of
 * a 4-file pull held the event loop — p99 delay ~40 ms on 2 cores — and the UI's server and the GPU
 * sampler share it. Each blob's fetch keeps its contract: progress, states, cancel by signal, and
 * errors of the same classes (transfer-wire.ts). Connections still come from the app's I/O limiter.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { RepoPaths } from './layout'
import type { BlobFetcher, BlobSpec, SlotGate, TransferCalls, TransferLog, TransferRequest } from './transfer'
import { fromWire, type FromWorker, type ToWorker } from './transfer-wire'

/** Where the thread's code is: the built file, or a bootstrap that runs the TypeScript entry (workerData). */
export interface WorkerEntry {
  file: string
  workerData?: unknown
}

/**
 * The built thread sits beside the built pool worker (out/main/transfer-worker.js); from the source tree
 * it is the TypeScript entry, run through tsx.
 */
export function transferWorkerBeside(poolWorkerFile: string | undefined): WorkerEntry {
  const built = poolWorkerFile ? join(dirname(poolWorkerFile), 'transfer-worker.js') : undefined
  if (built && existsSync(built)) return { file: built }
  return {
    file: fileURLToPath(new URL('../workers/ts-worker.js', import.meta.url)),
    workerData: { entry: new URL('./transfer-worker.ts', import.meta.url).href },
  }
}

export interface TransferThreadOptions {
  entry: WorkerEntry
  io: SlotGate
  logger: TransferLog
}

interface Fetch {
  calls: TransferCalls
  resolve(): void
  reject(err: unknown): void
}

export class TransferThread implements BlobFetcher {
  private worker: Worker | undefined
  private readonly fetches = new Map<number, Fetch>()
  /** Connections held by the thread, by slot: calling frees it. */
  private readonly held = new Map<number, () => void>()
  /** Slots the thread gave up before the limiter granted them. */
  private readonly dropped = new Set<number>()
  private nextId = 1
  private disposed = false

  constructor(private readonly o: TransferThreadOptions) {}

  fetchBlob(paths: RepoPaths, spec: BlobSpec, o: TransferRequest & TransferCalls): Promise<void> {
    if (this.disposed) return Promise.reject(new Error('the app is shutting down; downloads resume on the next start'))
    o.signal.throwIfAborted()
    const id = this.nextId++
    const { signal, onBytes: _b, onState: _s, ...req } = o
    const worker = this.thread()
    const onAbort = (): void => this.post({ op: 'abort', id })
    return new Promise<void>((resolve, reject) => {
      this.fetches.set(id, { calls: o, resolve, reject })
      if (this.fetches.size === 1) worker.ref()
      signal.addEventListener('abort', onAbort, { once: true })
      this.post({ op: 'fetch', id, paths, spec, req })
    }).finally(() => signal.removeEventListener('abort', onAbort))
  }

  /** Stops the thread; downloads still running fail (their jobs are stopped before this). */
  async dispose(): Promise<void> {
    this.disposed = true
    const w = this.worker
    this.worker = undefined
    this.failAll(new Error('the app is shutting down; downloads resume on the next start'))
    await w?.terminate()
  }

  private thread(): Worker {
    if (this.worker) return this.worker
    const w = new Worker(this.o.entry.file, { workerData: this.o.entry.workerData, name: 'inferadmin-transfers' })
    w.on('message', (batch: FromWorker[]) => {
      for (const m of batch) this.receive(m)
    })
    w.on('error', (err) => this.lost(w, err))
    w.on('exit', (code) => this.lost(w, new Error(`it exited with code ${code}`)))
    w.unref() // idle: no downloads keep the process alive (ref'd while any runs)
    this.worker = w
    return w
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m)
  }

  private receive(m: FromWorker): void {
    switch (m.op) {
      case 'bytes':
        this.fetches.get(m.id)?.calls.onBytes(m.n)
        break
      case 'state':
        this.fetches.get(m.id)?.calls.onState?.(m.state)
        break
      case 'log':
        this.o.logger[m.level](m.obj, m.msg)
        break
      case 'slot':
        this.grant(m.slot, this.fetches.get(m.id)?.calls.signal)
        break
      case 'release': {
        const free = this.held.get(m.slot)
        this.held.delete(m.slot)
        if (free) free()
        else this.dropped.add(m.slot)
        break
      }
      case 'end': {
        const f = this.fetches.get(m.id)
        if (!f) break
        this.fetches.delete(m.id)
        if (this.fetches.size === 0) this.worker?.unref()
        if (f.calls.signal.aborted) f.reject(f.calls.signal.reason)
        else if (m.error) f.reject(fromWire(m.error))
        else f.resolve()
      }
    }
  }

  /** Holds a connection of the I/O limiter for the thread until it releases the slot. */
  private grant(slot: number, signal: AbortSignal | undefined): void {
    this.o.io
      .run(
        () =>
          new Promise<void>((free) => {
            if (this.dropped.delete(slot)) return free()
            this.held.set(slot, free)
            this.post({ op: 'slot', slot })
          }),
        signal,
      )
      .catch((err: unknown) => {
        this.dropped.delete(slot)
        this.post({ op: 'slot', slot, error: err instanceof Error ? err.message : String(err) })
      })
  }

  private lost(w: Worker, err: Error): void {
    if (this.worker !== w) return
    this.worker = undefined
    this.o.logger.warn({ err: err.message }, 'the transfer thread stopped')
    this.failAll(new Error(`the download thread stopped (${err.message}); resume the download`))
  }

  private failAll(err: Error): void {
    for (const free of this.held.values()) free()
    this.held.clear()
    this.dropped.clear()
    const all = [...this.fetches.values()]
    this.fetches.clear()
    for (const f of all) f.reject(f.calls.signal.aborted ? f.calls.signal.reason : err)
  }
}
