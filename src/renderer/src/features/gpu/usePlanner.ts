import { shallowRef, type ShallowRef } from 'vue'
import type { PlannerDecision, PlannerStatus } from '@shared/contract/planner'
import { useStream } from '@/composables/useStream'
import { coalesced } from '@/lib/coalesce'
import { api } from '@/lib/rpc'

export interface PlannerState {
  /** Per GPU: other programs, each model's reservation, free, room for (pushed on every change). */
  status: ShallowRef<PlannerStatus | undefined>
  /** The planner's decisions, newest first: fetched again after each change (coalesced). */
  log: ShallowRef<PlannerDecision[]>
  logError: ShallowRef<unknown>
}

/** The memory planner's status stream and its decision log. */
export function usePlanner(o: { withLog?: boolean } = {}): PlannerState {
  const log = shallowRef<PlannerDecision[]>([])
  const logError = shallowRef<unknown>()
  const refreshLog = coalesced(async () => {
    try {
      log.value = await api.planner.log({ limit: 100 })
      logError.value = undefined
    } catch (err) {
      logError.value = err
    }
  })
  const { latest } = useStream(
    (signal) => api.planner.watch(undefined, { signal }),
    () => void (o.withLog && refreshLog()),
  )
  return { status: latest, log, logError }
}
