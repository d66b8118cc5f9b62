import type { Disposable } from '../events/publisher'

/** What the planner's waits listen to (PlannerDeps' sources). */
export interface ChangeSources {
  gpus: { onSnapshot(fn: () => void): Disposable }
  deployments: { onChange(fn: () => void): Disposable }
  traffic: { onChange(fn: () => void): Disposable }
}

export type ChangeSource = 'gpus' | 'deployments' | 'traffic'

/** Resolves on the next change of the given sources, or after `ms`. */
export function nextChange(d: ChangeSources, ms: number, from: ChangeSource[] = ['gpus', 'deployments', 'traffic']): Promise<void> {
  return new Promise((resolve) => {
    const subs: Disposable[] = []
    const done = (): void => {
      clearTimeout(t)
      subs.forEach((s) => s.dispose())
      resolve()
    }
    const t = setTimeout(done, ms)
    if (from.includes('gpus')) subs.push(d.gpus.onSnapshot(done))
    if (from.includes('deployments')) subs.push(d.deployments.onChange(done))
    if (from.includes('traffic')) subs.push(d.traffic.onChange(done))
  })
}
