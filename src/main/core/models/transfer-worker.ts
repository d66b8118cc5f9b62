/**
 * The transfer thread (#18): sockets, disk writes and checksums of every download run here, so the
 * main thread — the UI's server and the GPU sampler share it — only sees a few progress messages per
 * second. Connections still come from the app's I/O limiter (asked for by message), log lines go to
 * the app's logger. Built as out/main/transfer-worker.js; tests run it from source (ts-worker.js).
 */
import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import { fetchBlob, type BlobState, type SlotGate, type TransferLog } from './transfer'
import { toWire, type FromWorker, type ToWorker } from './transfer-wire'

/**
 * Background work yields to the app's main thread and the user's programs: on Linux a thread has its own nice
 * value (setpriority on its thread id). Measured on the 2-core machine (big-4g, 3 runs each): nice 10 kept the main
 * thread's event-loop p99 at 8.3–8.8 ms against 9.0–10.7 at nice 0, at the same speed (662–730 vs 621–737 MiB/s).
 */
function lowerPriority(): void {
  if (process.platform !== 'linux') return
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10)
  } catch {
    // no /proc: the thread runs at the process's priority
  }
}

/** Progress is sent at most this often per thread; states and ends flush it first. */
const PROGRESS_MS = 100

lowerPriority()
const port = parentPort
if (!port) throw new Error('transfer-worker.ts runs as a worker thread')
// One message per turn of the loop (a wake-up of the main thread each costs more than the copy)
let outbox: FromWorker[] = []
const post = (m: FromWorker): void => {
  if (outbox.push(m) === 1) setImmediate(send)
}
function send(): void {
  const batch = outbox
  outbox = []
  port?.postMessage(batch)
}

const fetches = new Map<number, AbortController>()
const slots = new Map<number, { granted(): void; refused(err: Error): void }>()
let nextSlot = 1

const pending = new Map<number, number>()
let timer: NodeJS.Timeout | undefined
function flush(): void {
  clearTimeout(timer)
  timer = undefined
  for (const [id, n] of pending) if (n !== 0) post({ op: 'bytes', id, n })
  pending.clear()
}
function addBytes(id: number, n: number): void {
  pending.set(id, (pending.get(id) ?? 0) + n)
  timer ??= setTimeout(flush, PROGRESS_MS)
}

function gate(id: number): SlotGate {
  return {
    run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const slot = nextSlot++
      const granted = new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          slots.delete(slot)
          post({ op: 'release', slot })
          reject(signal?.reason)
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        slots.set(slot, {
          granted: () => {
            signal?.removeEventListener('abort', onAbort)
            resolve()
          },
          refused: (err) => {
            signal?.removeEventListener('abort', onAbort)
            reject(err)
          },
        })
        post({ op: 'slot', slot, id })
      })
      return granted.then(() => fn().finally(() => post({ op: 'release', slot })))
    },
  }
}

const log: TransferLog = {
  info: (obj, msg) => post({ op: 'log', level: 'info', obj, msg }),
  warn: (obj, msg) => post({ op: 'log', level: 'warn', obj, msg }),
}

port.on('message', (m: ToWorker) => {
  if (m.op === 'abort') fetches.get(m.id)?.abort(new Error('the download was stopped'))
  else if (m.op === 'slot') {
    const s = slots.get(m.slot)
    slots.delete(m.slot)
    if (m.error === undefined) s?.granted()
    else s?.refused(new Error(m.error))
    // no `s`: given up while it waited, and its release already went out
  } else {
    const ctl = new AbortController()
    fetches.set(m.id, ctl)
    fetchBlob(m.paths, m.spec, {
      ...m.req,
      io: gate(m.id),
      logger: log,
      signal: ctl.signal,
      onBytes: (n) => addBytes(m.id, n),
      onState: (state: BlobState) => {
        flush()
        post({ op: 'state', id: m.id, state })
      },
    }).then(
      () => end(m.id),
      (err: unknown) => end(m.id, err),
    )
  }
})

function end(id: number, err?: unknown): void {
  fetches.delete(id)
  flush()
  post(err === undefined ? { op: 'end', id } : { op: 'end', id, error: toWire(err) })
}
