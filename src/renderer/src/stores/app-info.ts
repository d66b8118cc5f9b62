import { shallowRef, watch } from 'vue'
import type { AppInfo } from '@shared/contract/system'
import { connection } from '@/lib/connection'
import { api } from '@/lib/rpc'

const info = shallowRef<AppInfo | null>(null)
const error = shallowRef<unknown>(null)

async function load(): Promise<void> {
  try {
    info.value = await api.system.info()
    error.value = null
  } catch (err) {
    error.value = err
  }
}

watch(
  () => connection.generation,
  (g) => {
    if (g > 0) void load()
  },
  { immediate: true },
)

/** Application info (version, mode, directories), refreshed on every (re)connection. */
export function useAppInfo(): { info: typeof info; error: typeof error } {
  return { info, error }
}
