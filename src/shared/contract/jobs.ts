import { eventIterator, oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'
import { bounded, MAX } from './bounds'

/** Every long operation is a job. Kinds grow with features (deployments, image pulls …). */
export const JobKind = z.enum([
  'model.pull',
  'model.update',
  'model.delete',
  'engine.pull',
  'engine.prune',
  'deployment.deploy',
  'deployment.stop',
  'deployment.delete',
  'webui.deploy',
  'webui.start',
  'webui.stop',
  'webui.update',
  'webui.delete',
])
export type JobKind = z.infer<typeof JobKind>

export const JobState = z.enum(['queued', 'running', 'paused', 'done', 'failed', 'cancelled'])
export type JobState = z.infer<typeof JobState>

/** One item of a job (a file of a download). */
export const JobItem = z.object({
  name: z.string(),
  bytesDone: z.number(),
  bytesTotal: z.number(),
  state: z.enum(['pending', 'running', 'verifying', 'done', 'failed']),
})
export type JobItem = z.infer<typeof JobItem>

export const JobProgress = z.object({
  bytesDone: z.number(),
  bytesTotal: z.number(),
  /** Bytes per second over the last few seconds. */
  rate: z.number(),
  /** Seconds left at the current rate; null when unknown. */
  etaSeconds: z.number().nullable(),
  /** What the job is doing now, in words. */
  message: z.string().optional(),
  items: z.array(JobItem).optional(),
})
export type JobProgress = z.infer<typeof JobProgress>

export const JobError = z.object({ message: z.string(), fix: z.string() })
export type JobError = z.infer<typeof JobError>

export const Job = z.object({
  id: z.string(),
  kind: JobKind,
  title: z.string(),
  /** What the job acts on, e.g. a repo id "org/name". */
  target: z.string(),
  state: JobState,
  progress: JobProgress,
  /** Set when failed, or paused because of a problem (e.g. disk full). */
  error: JobError.optional(),
  /** Kind-specific outcome, e.g. {bytesFreed} of a delete, {commit} of a pull. */
  result: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  canPause: z.boolean(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
})
export type Job = z.infer<typeof Job>

export const JobEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), jobs: z.array(Job) }),
  z.object({ type: z.literal('update'), job: Job }),
])
export type JobEvent = z.infer<typeof JobEvent>

const JobId = z.object({ id: bounded(MAX.id).min(1) })

export const jobsContract = {
  list: oc
    .route({ method: 'GET', path: '/jobs', summary: 'Jobs: running, paused and recent ones, newest first', tags: ['jobs'] })
    .errors(commonErrors)
    .output(z.array(Job)),
  get: oc
    .route({ method: 'GET', path: '/jobs/{id}', summary: 'One job', tags: ['jobs'] })
    .errors(commonErrors)
    .input(JobId)
    .output(Job),
  cancel: oc
    .route({
      method: 'POST',
      path: '/jobs/{id}/cancel',
      summary: 'Cancel a job (a download also removes its partial files)',
      tags: ['jobs'],
    })
    .errors(commonErrors)
    .input(JobId)
    .output(Job),
  pause: oc
    .route({ method: 'POST', path: '/jobs/{id}/pause', summary: 'Pause a download; partial files are kept', tags: ['jobs'] })
    .errors(commonErrors)
    .input(JobId)
    .output(Job),
  resume: oc
    .route({ method: 'POST', path: '/jobs/{id}/resume', summary: 'Resume a paused download from what is on disk', tags: ['jobs'] })
    .errors(commonErrors)
    .input(JobId)
    .output(Job),
  /** A snapshot of all jobs, then each change (at most ~4 per second per job; state changes at once). */
  watch: oc.errors(commonErrors).output(eventIterator(JobEvent)),
}
