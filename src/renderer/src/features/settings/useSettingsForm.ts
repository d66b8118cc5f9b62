import { computed, nextTick, ref, shallowRef, watch, type ComputedRef, type Ref, type ShallowRef } from 'vue'
import { toast } from 'vue-sonner'
import { describeError } from '@shared/errors'
import { useSettingsStore } from '@/stores/settings'
import { cloneDraft, diffSettings, type Draft, type FieldErrors, rebase, toDraft, validateDraft } from './form-model'

export interface SettingsForm {
  draft: Ref<Draft | null>
  errors: Ref<FieldErrors>
  dirty: ComputedRef<boolean>
  saving: Ref<boolean>
  baseline: ShallowRef<Draft | null>
  save: () => Promise<boolean>
  discard: () => void
}

function focusFirstInvalid(): void {
  void nextTick(() => {
    const el = document.querySelector<HTMLElement>('[data-settings-form] [aria-invalid="true"]')
    el?.focus()
  })
}

/**
 * Edit state of the Settings page: a draft copied from the store, validated on save with the shared
 * schema, sent as a partial update of the changed fields; server field errors land on the same fields.
 */
export function useSettingsForm(): SettingsForm {
  const store = useSettingsStore()
  const draft = ref<Draft | null>(null)
  const baseline = shallowRef<Draft | null>(null)
  const errors = ref<FieldErrors>({})
  const saving = ref(false)
  const attempted = ref(false)

  watch(
    store.view,
    (view) => {
      if (!view) return
      const next = toDraft(view.settings)
      draft.value = draft.value && baseline.value ? rebase(draft.value, baseline.value, next) : cloneDraft(next)
      baseline.value = next
    },
    { immediate: true },
  )

  const dirty = computed(() => !!draft.value && !!baseline.value && JSON.stringify(draft.value) !== JSON.stringify(baseline.value))

  // After a failed save, keep the field errors current as the user fixes them.
  watch(
    draft,
    (d) => {
      if (d && attempted.value) errors.value = validateDraft(d).errors
    },
    { deep: true },
  )

  async function save(): Promise<boolean> {
    const view = store.view.value
    if (!view || !draft.value) return false
    attempted.value = true
    const checked = validateDraft(draft.value)
    const diff = checked.ok ? diffSettings(view.settings, checked.settings) : null
    const problems = !checked.ok ? checked.errors : diff && !diff.ok ? diff.errors : null
    if (problems) {
      errors.value = problems
      focusFirstInvalid()
      return false
    }
    errors.value = {}
    if (!diff?.ok || Object.keys(diff.patch).length === 0) return true
    saving.value = true
    try {
      const saved = await store.update(diff.patch)
      const next = toDraft(saved.settings)
      draft.value = cloneDraft(next)
      baseline.value = next
      attempted.value = false
      toast.success('Settings saved', { description: 'Changes take effect right away unless noted.' })
      return true
    } catch (err) {
      const e = describeError(err)
      if (e.fields && Object.keys(e.fields).length > 0) {
        errors.value = { ...e.fields }
        attempted.value = false // keep the server's messages until the next save
        focusFirstInvalid()
      }
      toast.error(e.message, { description: e.fix })
      return false
    } finally {
      saving.value = false
    }
  }

  function discard(): void {
    if (baseline.value) draft.value = cloneDraft(baseline.value)
    errors.value = {}
    attempted.value = false
  }

  return { draft, errors, dirty, saving, baseline, save, discard }
}
