import type { z } from 'zod'
import { type Settings, Settings as SettingsSchema, SettingsUpdate } from '@shared/settings'

/** Keys of Settings whose inputs are numbers (edited as text, converted on validation). */
export const numericKeys = [
  'gpuRefreshMs',
  'containerRefreshMs',
  'cpuPoolSize',
  'ioConcurrency',
  'webuiPort',
  'gatewayPort',
  'gatewayIdleMinutes',
  'gatewayMaxWaitMinutes',
  'gatewayQueueLimit',
] as const
type NumericKey = (typeof numericKeys)[number]

/** The form's editable copy of Settings: numbers kept as the text the user typed. */
export type Draft = Omit<Settings, NumericKey | 'modelStores'> & {
  modelStores: { path: string; label: string }[]
} & Record<NumericKey, string>

export type FieldErrors = Record<string, string>

export function toDraft(s: Settings): Draft {
  const numbers = Object.fromEntries(numericKeys.map((k) => [k, String(s[k])])) as Record<NumericKey, string>
  return { ...s, modelStores: s.modelStores.map((m) => ({ path: m.path, label: m.label })), ...numbers }
}

export function cloneDraft(d: Draft): Draft {
  return { ...d, modelStores: d.modelStores.map((m) => ({ ...m })) }
}

function issuesToErrors(issues: readonly z.core.$ZodIssue[], into: FieldErrors): void {
  for (const issue of issues) {
    const key = issue.path.map(String).join('.') || '_form'
    into[key] ??= issue.message
  }
}

export type Validation = { ok: true; settings: Settings; errors: FieldErrors } | { ok: false; errors: FieldErrors }

/** Validates the whole draft with the shared zod schema (the same one the server uses). */
export function validateDraft(d: Draft): Validation {
  const errors: FieldErrors = {}
  const numbers: Partial<Record<NumericKey, number>> = {}
  for (const key of numericKeys) {
    const text = String(d[key]).trim()
    const n = text === '' ? Number.NaN : Number(text)
    if (!Number.isFinite(n)) errors[key] = 'enter a whole number'
    else numbers[key] = n
  }
  const candidate = { ...d, ...numbers }
  const parsed = SettingsSchema.safeParse(candidate)
  if (!parsed.success) issuesToErrors(parsed.error.issues, errors)
  if (Object.keys(errors).length > 0 || !parsed.success) return { ok: false, errors }
  return { ok: true, settings: parsed.data, errors }
}

/** The fields of `next` that differ from `saved`, as a settings.update input (validated). */
export function diffSettings(saved: Settings, next: Settings): { ok: true; patch: SettingsUpdate } | { ok: false; errors: FieldErrors } {
  const patch: Record<string, unknown> = {}
  for (const key of Object.keys(next) as (keyof Settings)[]) {
    if (JSON.stringify(next[key]) !== JSON.stringify(saved[key])) patch[key] = next[key]
  }
  const parsed = SettingsUpdate.safeParse(patch)
  if (parsed.success) return { ok: true, patch: parsed.data }
  const errors: FieldErrors = {}
  issuesToErrors(parsed.error.issues, errors)
  return { ok: false, errors }
}

/** Client-side check of a new Hugging Face token, with the shared schema. */
export function validateHfToken(token: string): string | undefined {
  const parsed = SettingsUpdate.safeParse({ hfToken: token })
  return parsed.success ? undefined : (parsed.error.issues[0]?.message ?? 'invalid token')
}

/**
 * Merges a new server state into the draft: fields the user has not touched (still equal to the
 * old baseline) take the new value; edited fields keep the user's value.
 */
export function rebase(draft: Draft, oldBase: Draft, newBase: Draft): Draft {
  const out = cloneDraft(draft)
  for (const key of Object.keys(newBase) as (keyof Draft)[]) {
    if (JSON.stringify(draft[key]) === JSON.stringify(oldBase[key])) {
      ;(out as Record<keyof Draft, unknown>)[key] = structuredClone(newBase[key])
    }
  }
  return out
}
