/**
 * The messages between the main thread (transfer-thread.ts) and the transfer thread
 * (transfer-worker.ts), and how a download's error crosses between them: structured clone keeps an
 * Error's message but not its class, and the pull job decides by class (disk full → paused, a Hub
 * answer → the user's fix).
 */
import { AppError } from '../errors'
import { HubHttpError, HubUnreachable } from './hub-errors'
import type { RepoPaths } from './layout'
import { DiskFullError, type BlobSpec, type BlobState, type TransferRequest } from './transfer'

export type ToWorker =
  | { op: 'fetch'; id: number; paths: RepoPaths; spec: BlobSpec; req: TransferRequest }
  | { op: 'abort'; id: number }
  /** A connection for `slot` (or why there is none). */
  | { op: 'slot'; slot: number; error?: string }

export type FromWorker =
  | { op: 'bytes'; id: number; n: number }
  | { op: 'state'; id: number; state: BlobState }
  | { op: 'log'; level: 'info' | 'warn'; obj: Record<string, unknown>; msg: string }
  /** Asks the app's I/O limiter for a connection. */
  | { op: 'slot'; slot: number; id: number }
  /** The connection is free again (or no longer wanted). */
  | { op: 'release'; slot: number }
  | { op: 'end'; id: number; error?: WireError }

export interface WireError {
  kind: 'disk-full' | 'hub-http' | 'hub-unreachable' | 'app' | 'type' | 'error'
  message: string
  status?: number
  code?: string
  url?: string
  data?: unknown
}

export function toWire(err: unknown): WireError {
  if (err instanceof DiskFullError) return { kind: 'disk-full', message: err.message }
  if (err instanceof HubHttpError) return { kind: 'hub-http', message: err.message, status: err.status, code: err.code, url: err.url }
  if (err instanceof HubUnreachable) return { kind: 'hub-unreachable', message: err.message }
  if (err instanceof AppError) return { kind: 'app', message: err.message, code: err.code, data: err.data }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code
    return { kind: err instanceof TypeError ? 'type' : 'error', message: err.message, ...(typeof code === 'string' ? { code } : {}) }
  }
  return { kind: 'error', message: String(err) }
}

export function fromWire(w: WireError): Error {
  switch (w.kind) {
    case 'disk-full':
      return new DiskFullError(w.message)
    case 'hub-http':
      return new HubHttpError(w.status ?? 0, w.code, w.message, w.url ?? '')
    case 'hub-unreachable':
      return new HubUnreachable(w.message)
    case 'app':
      return new AppError(
        w.code as ConstructorParameters<typeof AppError>[0],
        w.message,
        w.data as ConstructorParameters<typeof AppError>[2],
      )
    case 'type':
      return new TypeError(w.message)
    default: {
      const err: NodeJS.ErrnoException = new Error(w.message)
      if (w.code !== undefined) err.code = w.code
      return err
    }
  }
}
