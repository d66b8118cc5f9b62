import { onScopeDispose, ref, shallowRef, type Ref, type ShallowRef } from 'vue'
import type { GatewayLogEntry, GatewayStatus } from '@shared/contract/gateway'
import { useStream } from '@/composables/useStream'
import { api } from '@/lib/rpc'
import { coalesced } from '@/lib/coalesce'

export interface GatewayState {
  status: ShallowRef<GatewayStatus | undefined>
  /** The last requests, newest first: fetched again after each status change (coalesced), never on a timer. */
  log: ShallowRef<GatewayLogEntry[]>
  logError: ShallowRef<unknown>
  /** A clock for the relative times (last used, unload in …): ticks every second, local only. */
  now: Ref<number>
}

const LOG_LIMIT = 200

/** The gateway's status, pushed by the server (snapshot, then every change), and its request log. */
export function useGateway(): GatewayState {
  const log = shallowRef<GatewayLogEntry[]>([])
  const logError = shallowRef<unknown>()
  const refreshLog = coalesced(async () => {
    try {
      log.value = await api.gateway.log({ limit: LOG_LIMIT })
      logError.value = undefined
    } catch (err) {
      logError.value = err
    }
  })
  const { latest } = useStream(
    (signal) => api.gateway.watch(undefined, { signal }),
    () => void refreshLog(),
  )
  const now = ref(Date.now())
  const clock = setInterval(() => (now.value = Date.now()), 1000)
  onScopeDispose(() => clearInterval(clock))
  return { status: latest, log, logError, now }
}
