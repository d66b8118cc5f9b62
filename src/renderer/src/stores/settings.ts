import { ref, shallowRef, watch } from 'vue'
import type { SettingsUpdate, SettingsView } from '@shared/settings'
import { connection } from '@/lib/connection'
import { api } from '@/lib/rpc'
import { useTheme } from '@/composables/useTheme'

const view = shallowRef<SettingsView | null>(null)
const loadError = shallowRef<unknown>(null)
const loading = ref(false)
const { setPreference } = useTheme()

function accept(v: SettingsView): SettingsView {
  view.value = v
  setPreference(v.settings.theme)
  return v
}

async function load(): Promise<void> {
  loading.value = true
  try {
    accept(await api.settings.get())
    loadError.value = null
  } catch (err) {
    loadError.value = err
  } finally {
    loading.value = false
  }
}

/** Sends a partial update; on success the store holds what the server saved. Throws the server's error. */
async function update(patch: SettingsUpdate): Promise<SettingsView> {
  return accept(await api.settings.update(patch))
}

// (Re)load whenever a connection is (re)established: the server is the source of truth.
watch(
  () => connection.generation,
  (g) => {
    if (g > 0) void load()
  },
  { immediate: true },
)

/** The settings as last loaded from or saved to the backend. */
export function useSettingsStore(): {
  view: typeof view
  loadError: typeof loadError
  loading: typeof loading
  load: typeof load
  update: typeof update
} {
  return { view, loadError, loading, load, update }
}
