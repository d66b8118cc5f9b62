import { oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'

/** Host inventory for the System page (systeminformation; never its GPU probe). */
export const HostInventory = z.object({
  at: z.string(),
  cpu: z.object({
    manufacturer: z.string(),
    brand: z.string(),
    cores: z.number().int(),
    physicalCores: z.number().int(),
    speedGHz: z.number().nullable(),
  }),
  memory: z.object({ totalBytes: z.number(), availableBytes: z.number(), usedBytes: z.number(), swapTotalBytes: z.number() }),
  os: z.object({
    platform: z.string(),
    distro: z.string(),
    release: z.string(),
    kernel: z.string(),
    arch: z.string(),
    hostname: z.string(),
  }),
  disks: z.array(
    z.object({
      fs: z.string(),
      mount: z.string(),
      type: z.string(),
      sizeBytes: z.number(),
      usedBytes: z.number(),
      availableBytes: z.number(),
    }),
  ),
})
export type HostInventory = z.infer<typeof HostInventory>

export const CheckStatus = z.enum(['ok', 'warn', 'fail'])
export type CheckStatus = z.infer<typeof CheckStatus>

export const DoctorCheck = z.object({
  id: z.string(),
  title: z.string(),
  status: CheckStatus,
  /** What was found (versions, paths, the error text). */
  detail: z.string(),
  /** The exact thing to do; null when nothing needs doing. */
  fix: z.string().nullable(),
})
export type DoctorCheck = z.infer<typeof DoctorCheck>

export const DoctorReport = z.object({
  at: z.string(),
  /** Worst status of all checks. */
  status: CheckStatus,
  checks: z.array(DoctorCheck),
})
export type DoctorReport = z.infer<typeof DoctorReport>

export const GpuDryRunResult = DoctorCheck.extend({
  /** Image used for the test container; null when none was available locally. */
  image: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  /** What the container printed (nvidia-smi -L), trimmed. */
  output: z.string(),
  durationMs: z.number(),
})
export type GpuDryRunResult = z.infer<typeof GpuDryRunResult>

export const hostContract = {
  inventory: oc
    .route({ method: 'GET', path: '/system/inventory', summary: 'CPU, memory, disks and OS of this host', tags: ['system'] })
    .errors(commonErrors)
    .output(HostInventory),
  doctor: oc
    .route({
      method: 'GET',
      path: '/system/doctor',
      summary: 'Host checks: Docker, GPU support in Docker, driver, disks, Hugging Face token',
      tags: ['system'],
    })
    .output(DoctorReport),
  gpuDryRun: oc
    .route({
      method: 'POST',
      path: '/system/doctor/gpu-dry-run',
      summary: 'Start a tiny container with a GPU request (nvidia-smi -L) and report what happened',
      tags: ['system'],
    })
    .errors(commonErrors)
    .output(GpuDryRunResult),
}
