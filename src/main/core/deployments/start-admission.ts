/**
 * Manual starts and the memory planner (issue #16): the deploy job asks the planner's admission first, unless the
 * start carries the planner's override already (a gateway start).
 */
import { z } from 'zod'
import type { Diagnosis } from '../../../shared/contract/deployments'
import { AppError } from '../errors'
import type { Runtime } from './runtime'

/**
 * One start's deviation from the saved definition, chosen by the memory planner: the GPUs (UUIDs) and the memory
 * arguments (--gpu-memory-utilization / --kv-cache-memory-bytes) of this start only; the definition is unchanged.
 */
export const StartOverride = z.object({
  gpus: z.array(z.string()).optional(),
  args: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
})
export type StartOverride = z.infer<typeof StartOverride>

/**
 * The memory planner's admission of a manual start (implemented by the planner, wired by create-core): makes room for
 * deployment `id` (evicting idle models) and resolves with this start's override (none: start as configured), or
 * rejects with an AppError naming what holds the memory and the fix. `settle(ok)` once the container started or not.
 */
export interface StartAdmission {
  admit(
    id: string,
    o: { name: string; signal: AbortSignal; progress(message: string): void },
  ): Promise<{ override?: StartOverride; settle(ok: boolean): void }>
}

/** What an admission gave a start: its override (none: as configured), and settle(ok) once it started or not. */
export type Admitted = Awaited<ReturnType<StartAdmission['admit']>>

/**
 * Admit a manual start (`override` absent; present: the gateway's planner admitted it already). A restart's own
 * container is stopped by now: it shows stopped, so the planner waits for its memory to be released rather than count
 * it. A refusal fails the deployment with the message and the fix (shown as other start errors are) and throws.
 */
export async function admitManual(
  admission: StartAdmission | undefined,
  o: { id: string; name: string; override?: StartOverride; signal: AbortSignal; progress(p: { message: string }): void },
  rt: Pick<Runtime, 'state' | 'setState' | 'fail'>,
): Promise<Admitted | null> {
  if (o.override || !admission) return null
  if (rt.state === 'stopping') rt.setState('stopped')
  o.progress({ message: 'Checking GPU memory' })
  try {
    return await admission.admit(o.id, { name: o.name, signal: o.signal, progress: (message) => o.progress({ message }) })
  } catch (err) {
    if (err instanceof AppError) rt.fail(refusal(err.message, err.data?.fix ?? 'Read the planner log on the GPU page.', err.data?.fixArgs))
    throw err
  }
}

/** A refusal's diagnosis; with `fixArgs` (a fixed utilization that fits now) it carries the one-click fix. */
function refusal(reason: string, hint: string, fixArgs?: Record<string, number>): Diagnosis {
  const u = fixArgs?.['--gpu-memory-utilization']
  if (u === undefined) return { kind: 'exited', reason, hint, lines: [], exitCode: null }
  const fix = { label: `Set --gpu-memory-utilization ${u}`, setArgs: { '--gpu-memory-utilization': u }, removeExtra: [] }
  return {
    kind: 'gpu-memory-utilization',
    reason,
    hint: `${hint} Or lower --gpu-memory-utilization to ${u}.`,
    lines: [],
    exitCode: null,
    fix,
  }
}
