import { computed, shallowRef, watch, type ComputedRef, type ShallowRef } from 'vue'
import type { Job } from '@shared/contract/jobs'
import type { LocalModel, StorageLocationInfo } from '@shared/contract/models'
import { useStream } from '@/composables/useStream'
import { coalesced } from '@/lib/coalesce'
import { connection } from '@/lib/connection'
import { api } from '@/lib/rpc'

export interface ModelStore {
  models: ShallowRef<LocalModel[] | null>
  storage: ShallowRef<StorageLocationInfo[] | null>
  jobs: ShallowRef<Map<string, Job>>
  /** Downloads and updates that are queued, running, paused, or failed (until retried or cancelled). */
  downloads: ComputedRef<Job[]>
  error: ShallowRef<unknown>
  refresh(): Promise<void>
}

const DOWNLOAD_KINDS = new Set(['model.pull', 'model.update'])

/**
 * Local models and storage (fetched per connection and whenever the store says it changed) and
 * jobs (a snapshot, then pushed updates). Nothing polls.
 */
export function useModelStore(): ModelStore {
  const models = shallowRef<LocalModel[] | null>(null)
  const storage = shallowRef<StorageLocationInfo[] | null>(null)
  const jobs = shallowRef(new Map<string, Job>())
  const error = shallowRef<unknown>(null)

  // A change during a fetch asks for one more fetch after it: the list never stays on a state older than the change.
  const refresh = coalesced(async () => {
    try {
      const [m, s] = await Promise.all([api.models.list(), api.models.storage()])
      models.value = m
      storage.value = s
      error.value = null
    } catch (err) {
      error.value = err
    }
  })

  watch(
    () => connection.generation,
    (g) => {
      if (g !== 0) void refresh()
    },
    { immediate: true },
  )
  useStream(
    (signal) => api.models.watch(undefined, { signal }),
    () => void refresh(),
  )
  useStream(
    (signal) => api.jobs.watch(undefined, { signal }),
    (ev) => {
      const next = ev.type === 'snapshot' ? new Map(ev.jobs.map((j) => [j.id, j])) : new Map(jobs.value)
      if (ev.type === 'update') {
        const before = jobs.value.get(ev.job.id)
        next.set(ev.job.id, ev.job)
        if (before?.state !== ev.job.state) void refresh()
      }
      jobs.value = next
    },
  )

  const downloads = computed(() =>
    [...jobs.value.values()]
      .filter(
        (j) =>
          DOWNLOAD_KINDS.has(j.kind) &&
          (['queued', 'running', 'paused'].includes(j.state) ||
            // failures stay visible for a day (the reason and the fix), then only in GET /jobs
            (j.state === 'failed' && Date.now() - Date.parse(j.endedAt ?? j.createdAt) < 86_400_000)),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
  )
  return { models, storage, jobs, downloads, error, refresh }
}
