import { eventIterator, oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'

/** What one of our models holds (or is about to hold) on one GPU. */
export const PlannerReservation = z.object({
  deploymentId: z.string(),
  name: z.string(),
  /** What it holds now per GPU: its reservation awake, only what it keeps (CUDA context, graph pool) while asleep. */
  bytes: z.number(),
  /** The --gpu-memory-utilization it was started with, when the planner knows it. */
  utilization: z.number().nullable(),
  /** running, loading, sleeping, stopping (its memory is still held). */
  state: z.string(),
})
export type PlannerReservation = z.infer<typeof PlannerReservation>

export const PlannerGpu = z.object({
  index: z.number().int(),
  name: z.string(),
  /** What vLLM sees as the total (nvidia-smi total minus driver-reserved). */
  totalBytes: z.number(),
  /** Memory of other programs (a game, a notebook, the display). */
  externalBytes: z.number(),
  reservations: z.array(PlannerReservation),
  /** What a new model could use now: min(live free, 0.95 × total − others − ours). */
  freeBytes: z.number(),
  /** Stopped models that would fit on this GPU now without evicting anything. */
  roomFor: z.array(z.string()),
})
export type PlannerGpu = z.infer<typeof PlannerGpu>

export const PlannerStatus = z.object({
  /** Time of the GPU sample behind it (ISO); null before the first one. */
  at: z.string().nullable(),
  gpus: z.array(PlannerGpu),
})
export type PlannerStatus = z.infer<typeof PlannerStatus>

export const PlannerDecisionKind = z.enum(['start', 'evict', 'wait', 'refuse', 'pass'])
export const PlannerDecision = z.object({
  at: z.string(),
  kind: PlannerDecisionKind,
  model: z.string(),
  reason: z.string(),
})
export type PlannerDecision = z.infer<typeof PlannerDecision>

const tags = ['planner']

export const plannerContract = {
  status: oc
    .route({
      method: 'GET',
      path: '/planner',
      summary: 'GPU memory as the planner sees it: per GPU total, other programs, reservations, free, room for',
      tags,
    })
    .output(PlannerStatus),
  log: oc
    .route({ method: 'GET', path: '/planner/log', summary: 'The memory planner’s decisions, newest first, with reasons', tags })
    .errors(commonErrors)
    .input(z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }))
    .output(z.array(PlannerDecision)),
  /** The status now, then after each change (coalesced). */
  watch: oc.errors(commonErrors).output(eventIterator(PlannerStatus)),
}
