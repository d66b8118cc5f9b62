/**
 * The memory planner between the gateway and the deployments (issue #16 point 4): a GatewayBackends decorator whose
 * start() asks the planner first, stops or puts to sleep the idle models it chose (never one with requests in flight:
 * the plan is made again if one got a request meanwhile), waits until the telemetry shows the memory free, and starts the
 * deployment with this start's GPUs and --gpu-memory-utilization. A refusal rejects with CannotFitError, which the
 * gateway answers with 503 + Retry-After and the message naming what holds the memory. Manual starts (the Deployments
 * page, REST, the tray) make room the same way through manual-admission.ts.
 *
 * The inner backends' stop(id, 'idle') parks a deployment with sleep mode 'auto' in vLLM's sleep (at the level host RAM
 * allows then, sleep-park.ts) and stops any other; stop(id, 'manual') always stops for real, a sleeping one included.
 * So a 'sleep' action is an idle stop, and a 'stop' action (the planner found sleeping it would not free enough, or
 * it is asleep already and its kept memory is in the way) a manual one.
 */
import type { Logger } from 'pino'
import type { StartOverride } from '../deployments/deployment-service'
import type { GatewayBackends } from '../gateway/gateway-service'
import type { Traffic } from './gpu-view'
import { CannotFitError, type Admission, type PlannerService } from './planner-service'

const ACTIVE = new Set(['ready', 'loading', 'starting', 'creating'])
/** What an eviction can act on: an active model, or (to stop it) a sleeping one. */
const EVICTABLE = new Set([...ACTIVE, 'sleeping'])

/**
 * The deployments as the gateway's backends; start(id, override): a start the planner admitted carries an override
 * (its GPUs and memory arguments, `{}` when it passed the start as configured), which tells the deploy job not to
 * admit it again. A start without one is a manual start, admitted by the deploy job.
 */
export type InnerBackends = GatewayBackends & { start(id: string, override?: StartOverride): void | Promise<unknown> }

export interface RoomDeps {
  inner: Pick<InnerBackends, 'list' | 'stop'>
  planner: Pick<PlannerService, 'admit' | 'started' | 'waitFree'>
  traffic: Pick<Traffic, 'inFlight'>
  /** Times a plan is made again when a chosen victim got a request meanwhile. */
  replans?: number
}

/** An admission with its room made: pass (start as configured) or go (evictions done, memory free). */
export type Admitted = Exclude<Admission, { kind: 'cannot-fit' }>

/**
 * Admit deployment `id` and make its room: run the chosen evictions (plan again when a victim got a request), wait
 * for the memory to show free. Resolves with the admission; for 'go' the caller must call planner.started(id, ok) once
 * the start was issued or failed. Rejects with CannotFitError when it does not fit (nothing reserved then), and with
 * `signal`'s reason when aborted (the reservation is dropped).
 */
export async function makeRoom(o: RoomDeps, id: string, signal?: AbortSignal): Promise<Admitted> {
  const { inner } = o
  for (let attempt = 0; ; attempt++) {
    const a = await o.planner.admit(id)
    if (a.kind === 'pass') return a
    if (a.kind === 'cannot-fit') throw new CannotFitError(a.message, a.retryAfterSeconds, a.fix, a.fitsUtilization ?? null)
    try {
      signal?.throwIfAborted()
      let replan = false
      for (const e of a.evictions) {
        const b = inner.list().find((x) => x.id === e.modelId)
        if (!b || !EVICTABLE.has(b.state) || (e.kind === 'sleep' && b.state === 'sleeping')) continue
        // Checked and stopped in the same tick: a request arriving after this sees the model stopping and waits.
        if (o.traffic.inFlight(e.modelId) > 0) {
          replan = true
          break
        }
        await inner.stop(e.modelId, e.kind === 'sleep' ? 'idle' : 'manual')
      }
      if (replan && attempt < (o.replans ?? 3)) {
        o.planner.started(id, false)
        continue
      }
      if (replan) throw new CannotFitError('The models chosen to make room keep getting requests.', 15)
      await o.planner.waitFree(a)
      signal?.throwIfAborted()
      return a
    } catch (err) {
      o.planner.started(id, false)
      throw err
    }
  }
}

export function plannedBackends(o: RoomDeps & { inner: InnerBackends; logger: Pick<Logger, 'warn'> }): GatewayBackends {
  const { inner } = o
  const running = new Map<string, Promise<void>>()

  const admitAndStart = async (id: string): Promise<void> => {
    const a = await makeRoom(o, id)
    if (a.kind === 'pass') return void (await inner.start(id, {}))
    try {
      await inner.start(id, { gpus: a.gpuUuids, args: a.args })
      o.planner.started(id, true)
    } catch (err) {
      o.planner.started(id, false)
      throw err
    }
  }

  return {
    list: () => inner.list(),
    onChange: (fn) => inner.onChange(fn),
    stop: (id, reason) => inner.stop(id, reason),
    start(id) {
      const b = inner.list().find((x) => x.id === id)
      if (b && ACTIVE.has(b.state)) return inner.start(id, {})
      let p = running.get(id)
      if (!p) {
        p = admitAndStart(id).finally(() => running.delete(id))
        running.set(id, p)
      }
      return p
    },
  }
}
