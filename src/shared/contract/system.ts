import { eventIterator, oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'

export const Health = z.object({ status: z.literal('ok'), version: z.string() })

export const AppInfo = z.object({
  version: z.string(),
  mode: z.enum(['desktop', 'headless']),
  platform: z.string(),
  node: z.string(),
  dataDir: z.string(),
  configDir: z.string(),
})
export type AppInfo = z.infer<typeof AppInfo>

/** Observable state of one pool (CPU worker threads or the I/O limiter). */
export const PoolStats = z.object({
  name: z.string(),
  kind: z.enum(['cpu', 'io']),
  /** Max parallel tasks (threads for cpu, permits for io). */
  size: z.number().int(),
  active: z.number().int(),
  queued: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  /** active / size, 0..1. */
  load: z.number(),
  runMs: z.object({ mean: z.number(), p50: z.number(), p99: z.number(), max: z.number() }),
  waitMs: z.object({ mean: z.number(), p50: z.number(), p99: z.number(), max: z.number() }),
})
export type PoolStats = z.infer<typeof PoolStats>
export const PoolsSnapshot = z.object({ at: z.string(), pools: z.array(PoolStats) })
export type PoolsSnapshot = z.infer<typeof PoolsSnapshot>

export const systemContract = {
  health: oc.route({ method: 'GET', path: '/health', summary: 'Liveness and version', tags: ['system'] }).output(Health),
  info: oc.route({ method: 'GET', path: '/system/info', summary: 'Application info', tags: ['system'] }).output(AppInfo),
  pools: oc
    .route({ method: 'GET', path: '/system/pools', summary: 'CPU worker pool and I/O limiter statistics', tags: ['system'] })
    .output(PoolsSnapshot),
  /** Pool statistics pushed about once a second (MessagePort / WebSocket only). */
  watchPools: oc.errors(commonErrors).output(eventIterator(PoolsSnapshot)),
}
