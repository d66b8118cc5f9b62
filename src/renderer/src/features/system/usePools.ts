import { shallowRef, watch, type ShallowRef, type Ref } from 'vue'
import type { PoolsSnapshot } from '@shared/contract/system'
import { useStream } from '@/composables/useStream'
import { connection } from '@/lib/connection'
import { api } from '@/lib/rpc'

/** Pool statistics: fetched once per connection, then kept current by the watchPools stream. */
export function usePools(): { snapshot: ShallowRef<PoolsSnapshot | null>; error: ShallowRef<unknown>; live: Ref<boolean> } {
  const snapshot = shallowRef<PoolsSnapshot | null>(null)
  const error = shallowRef<unknown>(null)

  watch(
    () => connection.generation,
    async (g) => {
      if (g === 0) return
      try {
        const first = await api.system.pools()
        // A stream value may have arrived first; keep the newer one.
        if (!snapshot.value || snapshot.value.at < first.at) snapshot.value = first
        error.value = null
      } catch (err) {
        error.value = err
      }
    },
    { immediate: true },
  )

  const { live } = useStream(
    (signal) => api.system.watchPools(undefined, { signal }),
    (snap) => {
      snapshot.value = snap
      error.value = null
    },
  )
  return { snapshot, error, live }
}
