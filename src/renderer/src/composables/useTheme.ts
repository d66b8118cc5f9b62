import { computed, ref, watchEffect } from 'vue'
import type { Settings } from '@shared/settings'

export type ThemePreference = Settings['theme']

const STORAGE_KEY = 'inferadmin.theme'

function cached(): ThemePreference {
  const v = localStorage.getItem(STORAGE_KEY)
  return v === 'light' || v === 'dark' || v === 'system' ? v : 'system'
}

const media = window.matchMedia('(prefers-color-scheme: dark)')
const systemDark = ref(media.matches)
media.addEventListener('change', (e) => (systemDark.value = e.matches))

const preference = ref<ThemePreference>(cached())
const resolved = computed<'light' | 'dark'>(() =>
  preference.value === 'system' ? (systemDark.value ? 'dark' : 'light') : preference.value,
)

// Applied from the first import (before mount) so the page does not flash the wrong theme; the
// cached preference is replaced by Settings.theme once settings load.
watchEffect(() => {
  document.documentElement.classList.toggle('dark', resolved.value === 'dark')
  localStorage.setItem(STORAGE_KEY, preference.value)
})

/** Theme state shared by the whole app: the user's preference and what it resolves to. */
export function useTheme(): {
  preference: typeof preference
  resolved: typeof resolved
  setPreference: (t: ThemePreference) => void
} {
  return { preference, resolved, setPreference: (t) => (preference.value = t) }
}
