import { computed, shallowRef, type ComputedRef, type ShallowRef } from 'vue'
import type { Deployment, OrphanContainer } from '@shared/contract/deployments'
import { useStream } from '@/composables/useStream'
import { api } from '@/lib/rpc'

export interface DeploymentsState {
  deployments: ComputedRef<Deployment[]>
  orphans: ShallowRef<OrphanContainer[]>
  loaded: ShallowRef<boolean>
  error: ShallowRef<unknown>
}

/** Deployments with live status: a snapshot, then every change pushed by the server (nothing polls). */
export function useDeployments(): DeploymentsState {
  const byId = shallowRef(new Map<string, Deployment>())
  const orphans = shallowRef<OrphanContainer[]>([])
  const loaded = shallowRef(false)
  const { error } = useStream(
    (signal) => api.deployments.watch(undefined, { signal }),
    (ev) => {
      if (ev.type === 'snapshot') {
        byId.value = new Map(ev.deployments.map((d) => [d.definition.id, d]))
        orphans.value = ev.orphans
        loaded.value = true
        return
      }
      if (ev.type === 'orphans') {
        orphans.value = ev.orphans
        return
      }
      const next = new Map(byId.value)
      if (ev.type === 'removed') next.delete(ev.id)
      else next.set(ev.deployment.definition.id, ev.deployment)
      byId.value = next
    },
  )
  const deployments = computed(() => [...byId.value.values()].sort((a, b) => a.definition.createdAt.localeCompare(b.definition.createdAt)))
  return { deployments, orphans, loaded, error }
}
