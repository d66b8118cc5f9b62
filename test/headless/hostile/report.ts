/** The failure report and the one totals line of the hostile-input suite. */
import type { Case } from './cases'
import type { Finding, Outcome } from './runner'

const clip = (s: string, n: number): string => {
  const flat = s.replace(/\s+/g, ' ')
  return flat.length > n ? `${flat.slice(0, n)}…` : flat
}

export function describeCase(c: Case): string {
  return c.transport === 'rest' ? `${c.route} [${c.kind}] ${c.what}` : `${c.route} [${c.kind}] ${c.what}`
}

function describeOutcome(o: Outcome): string {
  if (o.error) return o.error
  return `${o.status ?? 'no status'} in ${Math.round(o.ms)} ms ${clip(o.body, 160)}`
}

/** Findings grouped by problem and input kind (routes, statuses), then the first `first` in full. */
export function findingsReport(findings: Finding[], first = 20): string {
  const groups = new Map<string, { n: number; routes: Set<string>; statuses: Map<string, number> }>()
  for (const f of findings) {
    const key = `${f.problem} · ${f.case.kind.replace(/^fuzz: /, '')}`
    const g = groups.get(key) ?? { n: 0, routes: new Set(), statuses: new Map() }
    g.n++
    g.routes.add(f.case.route)
    const st = f.outcome.error ? 'no answer' : String(f.outcome.status)
    g.statuses.set(st, (g.statuses.get(st) ?? 0) + 1)
    groups.set(key, g)
  }
  const lines = [...groups.entries()]
    .sort((a, b) => b[1].n - a[1].n)
    .map(([key, g]) => {
      const routes = [...g.routes]
      const shown = routes.slice(0, 8).join(', ') + (routes.length > 8 ? `, … ${routes.length - 8} more` : '')
      const st = [...g.statuses.entries()].map(([s, n]) => `${s}×${n}`).join(' ')
      return `  ${g.n} × ${key} — status ${st} — ${routes.length} route(s): ${shown}`
    })
  const detail = findings
    .slice(0, first)
    .map((f, i) => `  ${i + 1}. [${f.problem}] ${describeCase(f.case)} → ${describeOutcome(f.outcome)}`)
  return [`${findings.length} finding(s), by problem · input kind:`, ...lines, `First ${detail.length}:`, ...detail].join('\n')
}

export function totalsLine(tried: number, serverErrors: number, escapes: number, slowestMs: number): string {
  return `hostile inputs: ${tried} tried, ${serverErrors} server errors, ${escapes} escapes, slowest ${Math.round(slowestMs)} ms`
}
