/**
 * Which GPUs a model starts on (issue #16 point 6; pure): pinned GPUs as given, or "any N" chosen by the planner.
 * Every set of N GPUs is weighed with planEviction: a set where it fits without eviction wins (best fit: the least
 * memory left over, so bigger holes stay for bigger models); else the cheapest eviction (expected reload seconds,
 * then fewer actions); else waiting for requests to drain; else the refusal of the set with the most usable memory.
 */
import { planEviction, usableBytes, type EvictionInput, type EvictionPlan } from './evict'

export interface PlacementInput extends Omit<EvictionInput, 'need'> {
  need: { name?: string; bytesPerGpu: number; count: number; pinned?: readonly number[] | null }
}

export interface Placement {
  gpus: number[]
  plan: EvictionPlan
}

function combinations(items: readonly number[], k: number): number[][] {
  if (k === 0) return [[]]
  const out: number[][] = []
  items.forEach((x, i) => {
    for (const rest of combinations(items.slice(i + 1), k - 1)) out.push([x, ...rest])
  })
  return out
}

const RANK: Record<EvictionPlan['kind'], number> = { fits: 0, evict: 1, wait: 2, 'cannot-fit': 3 }

export function planPlacement(input: PlacementInput): Placement {
  const { need } = input
  const one = (gpus: readonly number[]): Placement => ({
    gpus: [...gpus],
    plan: planEviction({ ...input, need: { name: need.name, gpus, bytesPerGpu: need.bytesPerGpu } }),
  })
  if (need.pinned && need.pinned.length > 0) {
    if (need.pinned.length !== need.count)
      throw new Error(`planPlacement: ${need.pinned.length} GPUs pinned for tensor parallel size ${need.count}; pin exactly ${need.count}`)
    return one(need.pinned)
  }
  if (!(Number.isInteger(need.count) && need.count >= 1))
    throw new Error(`planPlacement: count must be a whole number ≥ 1, got ${need.count}`)
  const indices = input.gpus.map((g) => g.index).sort((a, b) => a - b)
  if (need.count > indices.length)
    return {
      gpus: [],
      plan: {
        kind: 'cannot-fit',
        message: `${need.name ?? 'The model'} needs ${need.count} GPUs; this machine has ${indices.length}`,
        holders: [],
        retryAfterSeconds: 3600,
      },
    }
  const usable = usableBytes(input)
  const leftover = (gpus: readonly number[]): number => Math.min(...gpus.map((g) => (usable.get(g) ?? 0) - need.bytesPerGpu))
  const score = (p: Placement): [number, number, number] => {
    const k = p.plan.kind
    if (k === 'fits') return [RANK.fits, leftover(p.gpus), 0]
    if (k === 'evict') return [RANK.evict, p.plan.expectedCostSeconds, p.plan.actions.length]
    return [RANK[k], -leftover(p.gpus), 0]
  }
  const all = combinations(indices, need.count).map(one)
  all.sort((a, b) => {
    const [x, y] = [score(a), score(b)]
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]
  })
  return all[0]!
}
