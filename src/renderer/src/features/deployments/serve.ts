import type { DeploymentDefinition, ServeMode } from '@shared/contract/deployments'

export const SERVE_LABEL: Record<ServeMode, string> = {
  'on-demand': 'On demand',
  'always-on': 'Always on',
  off: 'Off',
}

/** One line on what each serve mode does (the deployment dialog shows it under the select). */
export const SERVE_HELP: Record<ServeMode, string> = {
  'on-demand': 'A request through the gateway starts it; it unloads after the idle minutes without requests.',
  'always-on': 'Started with the app and kept running: never unloaded when idle (e.g. an embedding model).',
  off: 'Not served by the gateway: you start and stop it here by hand, on its own port.',
}

/** "a, b c" (commas, spaces or new lines) → ["a", "b", "c"], without repeats. */
export function parseAliases(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))]
}

export function formatAliases(aliases: readonly string[]): string {
  return aliases.join(', ')
}

const MAX_IDLE = 10_080

/** The idle-minutes field: empty = the Settings default (undefined), 0 = never, else whole minutes up to a week. */
export function parseIdleMinutes(text: string): { ok: true; value: number | undefined } | { ok: false; error: string } {
  const t = text.trim()
  if (t === '') return { ok: true, value: undefined }
  const n = Number(t)
  if (!/^\d+$/.test(t) || n > MAX_IDLE)
    return { ok: false, error: `whole minutes from 0 (never unload) to ${MAX_IDLE} (a week), or empty for the Settings default` }
  return { ok: true, value: n }
}

/** The card's note on how the gateway serves it: "unloads after 15 min idle", "never unloads when idle", … */
export function serveNote(d: Pick<DeploymentDefinition, 'serve' | 'idleMinutes'>, defaultIdleMinutes: number | null): string {
  if (d.serve === 'always-on') return 'started with the app, never unloaded'
  if (d.serve === 'off') return 'not served by the gateway'
  const idle = d.idleMinutes ?? defaultIdleMinutes
  if (idle === null) return 'unloads when idle (Settings default)'
  return idle === 0 ? 'never unloads when idle' : `unloads after ${idle} min idle`
}
