import type { z } from 'zod'

/** Turns zod issues into `{ "dot.path": "what is wrong" }`, naming unknown keys individually. */
export function fieldErrors(issues: readonly z.core.$ZodIssue[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out[[...issue.path, key].join('.')] = 'unknown setting'
      continue
    }
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)'
    if (!(path in out)) out[path] = issue.message
  }
  return out
}

export function summarizeFields(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ')
}
