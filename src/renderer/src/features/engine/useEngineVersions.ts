import { computed, shallowRef, type ComputedRef, type ShallowRef } from 'vue'
import type { EngineTag, LocalImage, NewRelease, TagList } from '@shared/contract/engine'
import type { Job } from '@shared/contract/jobs'
import { useStream } from '@/composables/useStream'
import { api } from '@/lib/rpc'

export interface EngineVersions {
  tags: ShallowRef<TagList | null>
  images: ShallowRef<LocalImage[] | null>
  /** Newest release notices received while this view is open. */
  newRelease: ShallowRef<NewRelease | null>
  /** Active or recent engine pulls/prunes by target (repository:tag). */
  jobs: ComputedRef<Map<string, Job>>
  /** Release tags for a dropdown, newest first: main tags, then variants. */
  releaseTags: ComputedRef<EngineTag[]>
  error: ShallowRef<unknown>
}

/** The tag list, pulled images and engine jobs, pushed by the backend (engine.watch, jobs.watch); nothing polls. */
export function useEngineVersions(): EngineVersions {
  const tags = shallowRef<TagList | null>(null)
  const images = shallowRef<LocalImage[] | null>(null)
  const newRelease = shallowRef<NewRelease | null>(null)
  const allJobs = shallowRef(new Map<string, Job>())
  const stream = useStream(
    (signal) => api.engine.watch(undefined, { signal }),
    (ev) => {
      if (ev.type === 'tags') tags.value = ev.tags
      else if (ev.type === 'images') images.value = ev.images
      else newRelease.value = ev.release
    },
  )
  useStream(
    (signal) => api.jobs.watch(undefined, { signal }),
    (ev) => {
      const next = ev.type === 'snapshot' ? new Map<string, Job>() : new Map(allJobs.value)
      for (const j of ev.type === 'snapshot' ? ev.jobs : [ev.job])
        if (j.kind === 'engine.pull' || j.kind === 'engine.prune') next.set(j.id, j)
      allJobs.value = next
    },
  )
  const jobs = computed(() => {
    const byTarget = new Map<string, Job>()
    const sorted = [...allJobs.value.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    for (const j of sorted) byTarget.set(j.target, j)
    return byTarget
  })
  const releaseTags = computed(() => (tags.value?.releases ?? []).flatMap((r) => [...(r.tag ? [r.tag] : []), ...r.variants]))
  return { tags, images, newRelease, jobs, releaseTags, error: stream.error }
}

/** "3 h ago" style age. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return 'never'
  if (seconds < 90) return `${seconds} s ago`
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h ago`
  return `${Math.round(seconds / 86400)} days ago`
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString()
}
