import type { BackoffOptions } from '../../../shared/backoff.js'
import type { GpuFaultKind, GpuReading } from '../../../shared/contract/gpu'

/** One parsed row of the loop query (= the contract's reading). */
export type GpuRow = GpuReading
export type FaultKind = GpuFaultKind

/** One process of `--query-compute-apps` (host PID). */
export interface ComputeApp {
  pid: number
  gpuUuid: string
  usedMiB: number
}

export interface FaultInfo {
  kind: FaultKind
  message: string
  fix: string
  exitCode: number | null
}

/** The sampler's restart backoff (the shared Backoff's options). */
export type { BackoffOptions }

/** Main thread → sampler worker. */
export type ToWorker =
  { type: 'config'; smiPath: string; intervalMs: number; appsEveryMs: number; backoff: BackoffOptions; stallMs: number } | { type: 'stop' }

/** Sampler worker → main thread. */
export type FromWorker =
  | { type: 'sample'; at: number; rows: GpuRow[]; partialFault: FaultInfo | null }
  | { type: 'apps'; at: number; apps: ComputeApp[] }
  | { type: 'appsError'; message: string }
  | { type: 'fault'; fault: FaultInfo; attempts: number; retryAt: number | null }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; msg: string; data?: Record<string, unknown> }
  | { type: 'stopped' }
