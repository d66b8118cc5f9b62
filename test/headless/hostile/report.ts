/** The failure report and the one totals line of the hostile-input suite. */
import type { Case } from './cases'
import type { Finding, Outcome } from './runner'

const clip = (s: string, n: number): string => {
  const flat = s.replace(/\s+/g, ' ')
  return flat.length > n ? `${flat.slice(0, n)}…` : flat
}

/** Worst first. */
const SEVERITY = ['server crashed', 'server hung', 'leaked a victim file', 'accepted', 'server error', 'no answer', 'slow']

export function describeCase(c: Case): string {
  return `${c.route} [${c.kind}] ${c.what}`
}

function describeOutcome(o: Outcome): string {
  if (o.error) return clip(o.error, 240)
  return `${o.status ?? 'no status'} in ${Math.round(o.ms)} ms ${clip(o.body, 160)}`
}

/**
 * Findings grouped by problem and input kind (count, statuses, routes), worst first; then up to `first`
 * examples taken in turn from each group, so one large group does not hide the others.
 */
export function findingsReport(findings: Finding[], first = 20): string {
  const groups = new Map<string, Finding[]>()
  for (const f of findings) {
    const key = `${f.problem} · ${f.case.kind.replace(/^fuzz: /, '')}`
    groups.set(key, [...(groups.get(key) ?? []), f])
  }
  const rank = (key: string): number => {
    const i = SEVERITY.indexOf(key.split(' · ')[0] as string)
    return i < 0 ? SEVERITY.length : i
  }
  const sorted = [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || b[1].length - a[1].length)
  const lines = sorted.map(([key, fs]) => {
    const routes = [...new Set(fs.map((f) => f.case.route))]
    const statuses = new Map<string, number>()
    for (const f of fs) {
      const st = f.outcome.error ? 'no answer' : String(f.outcome.status)
      statuses.set(st, (statuses.get(st) ?? 0) + 1)
    }
    const shown = routes.slice(0, 8).join(', ') + (routes.length > 8 ? `, … ${routes.length - 8} more` : '')
    const st = [...statuses.entries()].map(([s, n]) => `${s}×${n}`).join(' ')
    return `  ${fs.length} × ${key} — status ${st} — ${routes.length} route(s): ${shown}`
  })
  const examples: Finding[] = []
  for (let i = 0; examples.length < Math.min(first, findings.length); i++) {
    for (const [, fs] of sorted) if (fs[i] && examples.length < first) examples.push(fs[i] as Finding)
  }
  const detail = examples.map((f, i) => `  ${i + 1}. [${f.problem}] ${describeCase(f.case)} → ${describeOutcome(f.outcome)}`)
  return [`${findings.length} finding(s), by problem · input kind:`, ...lines, `Examples (${detail.length}):`, ...detail].join('\n')
}

export function totalsLine(tried: number, serverErrors: number, escapes: number, slowestMs: number): string {
  return `hostile inputs: ${tried} tried, ${serverErrors} server errors, ${escapes} escapes, slowest ${Math.round(slowestMs)} ms`
}
