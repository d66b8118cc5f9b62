import { eventIterator, oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'

/** Why there is no telemetry. Each kind has its own message (the driver's words) and fix. */
export const GpuFaultKind = z.enum([
  'nvidia-smi-missing',
  'driver-not-loaded',
  'driver-mismatch',
  'gpu-lost',
  'no-gpu',
  'nvidia-smi-failed',
])
export type GpuFaultKind = z.infer<typeof GpuFaultKind>

export const GpuFault = z.object({
  kind: GpuFaultKind,
  /** What nvidia-smi (or the OS) said, verbatim where there was output. */
  message: z.string(),
  /** The exact thing to do about it. */
  fix: z.string(),
  exitCode: z.number().int().nullable(),
  /** When the fault was first seen (ISO). */
  since: z.string(),
  /** Restart attempts since the last good sample. */
  attempts: z.number().int(),
  /** When the next attempt is due (ISO), null while a sampler runs. */
  retryAt: z.string().nullable(),
})
export type GpuFault = z.infer<typeof GpuFault>

/** One container holding memory on a GPU (from compute apps, PIDs mapped to containers). */
export const GpuContainerUse = z.object({
  containerId: z.string(),
  containerName: z.string(),
  /** `inferadmin.deployment` label when the container is one of ours. */
  deploymentId: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  pids: z.array(z.number().int()),
  usedMiB: z.number(),
})
export type GpuContainerUse = z.infer<typeof GpuContainerUse>

export const GpuProcessUse = z.object({ pid: z.number().int(), usedMiB: z.number() })

/** Where a GPU's memory goes: containers + other (processes outside containers, display, driver) + free. */
export const GpuMemorySplit = z.object({
  containers: z.array(GpuContainerUse),
  /** memory.used minus what the containers hold. */
  otherMiB: z.number(),
  /** Compute processes that are not in a container we know. */
  otherProcesses: z.array(GpuProcessUse),
  freeMiB: z.number(),
  /** total - used - free (driver-reserved on newer drivers). */
  reservedMiB: z.number(),
  /** When the compute-apps query behind this split ran (ISO); null before the first one. */
  appsAt: z.string().nullable(),
})
export type GpuMemorySplit = z.infer<typeof GpuMemorySplit>

/** One row of `nvidia-smi --query-gpu`; null where the driver says [N/A] / [Not Supported]. */
export const GpuReading = z.object({
  index: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  memoryTotalMiB: z.number().nullable(),
  memoryUsedMiB: z.number().nullable(),
  memoryFreeMiB: z.number().nullable(),
  utilizationPct: z.number().nullable(),
  powerDrawW: z.number().nullable(),
  powerLimitW: z.number().nullable(),
  temperatureC: z.number().nullable(),
  driverVersion: z.string().nullable(),
})
export type GpuReading = z.infer<typeof GpuReading>

export const GpuState = GpuReading.extend({ memory: GpuMemorySplit })
export type GpuState = z.infer<typeof GpuState>

export const GpusSnapshot = z.object({
  /**
   * starting: no sample yet; ok: telemetry flows; degraded: some GPUs report, `fault` says what is
   * wrong with the others (e.g. one GPU lost); fault: no telemetry, `fault` says why (gpus is empty).
   */
  status: z.enum(['starting', 'ok', 'degraded', 'fault']),
  /** Time of the sample (ISO); null before the first one. */
  at: z.string().nullable(),
  intervalMs: z.number().int(),
  fault: GpuFault.nullable(),
  gpus: z.array(GpuState),
})
export type GpusSnapshot = z.infer<typeof GpusSnapshot>

/** Per-GPU history, column-wise (same length arrays); t = epoch ms. */
export const GpuSeries = z.object({
  index: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  t: z.array(z.number()),
  memoryUsedMiB: z.array(z.number().nullable()),
  utilizationPct: z.array(z.number().nullable()),
  powerDrawW: z.array(z.number().nullable()),
  temperatureC: z.array(z.number().nullable()),
})
export type GpuSeries = z.infer<typeof GpuSeries>

export const GpuHistory = z.object({ intervalMs: z.number().int(), seconds: z.number(), gpus: z.array(GpuSeries) })
export type GpuHistory = z.infer<typeof GpuHistory>

export const GpuHistoryInput = z.object({
  seconds: z.coerce
    .number()
    .int('seconds must be a whole number')
    .min(1, 'seconds must be at least 1')
    .max(86_400, 'seconds must be at most 86400')
    .default(300),
})

export const gpuContract = {
  list: oc
    .route({
      method: 'GET',
      path: '/gpus',
      summary: 'Latest sample per GPU with the per-container memory split, or why there is none',
      tags: ['gpu'],
    })
    .output(GpusSnapshot),
  history: oc
    .route({ method: 'GET', path: '/gpus/history', summary: 'GPU history of the last N seconds (default 300)', tags: ['gpu'] })
    .errors(commonErrors)
    .input(GpuHistoryInput)
    .output(GpuHistory),
  /** Latest snapshot on every sample; a slow client gets the newest one, never a backlog. */
  watch: oc.errors(commonErrors).output(eventIterator(GpusSnapshot)),
}
