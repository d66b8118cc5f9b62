/**
 * Manual starts (the Deployments page, REST POST start/restart, the tray) go through the same admission as the
 * gateway's (issue #16): the deploy job asks this before it creates the container. It makes room as planner-backends
 * does (evicting idle models by the same rules, placing "any N GPUs", one start per GPU at a time) and gives the job
 * this start's GPUs and memory arguments; when the model cannot fit it fails at once with an AppError naming what
 * holds the memory and the fix. While it waits (a start on the GPU settling, busy models draining) the job's
 * progress says what for.
 */
import type { PlannerDecision } from '../../../shared/contract/planner'
import type { StartAdmission } from '../deployments/deployment-service'
import { AppError } from '../errors'
import { makeRoom, type RoomDeps } from './planner-backends'
import type { PlannerService } from './planner-service'
import { CannotFitError } from './refusal'

/** The job's progress line for a decision of the planner about the model being started (null: none to show). */
export function progressOf(d: PlannerDecision | undefined, name: string): string | null {
  if (!d || d.model !== name) return null
  if (d.kind === 'wait') return `Waiting for GPU memory: ${d.reason}`
  if (d.kind === 'evict') return `Making room: ${d.reason}`
  return null
}

export function manualAdmission(o: RoomDeps & { planner: RoomDeps['planner'] & Pick<PlannerService, 'log' | 'onChange'> }): StartAdmission {
  return {
    async admit(id, { name, signal, progress }) {
      const sub = o.planner.onChange(() => {
        const line = progressOf(o.planner.log(1)[0], name)
        if (line) progress(line)
      })
      try {
        // The planner's wait is not abortable: a cancelled job stops waiting here, and a late admission is dropped.
        const room = makeRoom(o, id, signal)
        const aborted = new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason)
          signal.addEventListener('abort', () => reject(signal.reason), { once: true })
        })
        room.then((a) => signal.aborted && a.kind === 'go' && o.planner.started(id, false)).catch(() => undefined)
        const a = await Promise.race([room, aborted])
        if (a.kind === 'pass') return { settle: () => undefined }
        let settled = false
        return {
          override: { gpus: a.gpuUuids, args: a.args },
          settle: (ok) => {
            if (settled) return
            settled = true
            o.planner.started(id, ok)
          },
        }
      } catch (err) {
        if (err instanceof CannotFitError) {
          const fixArgs = err.fitsUtilization === null ? undefined : { '--gpu-memory-utilization': err.fitsUtilization }
          throw new AppError('UNAVAILABLE', err.message, { fix: err.fix, ...(fixArgs ? { fixArgs } : {}) })
        }
        throw err
      } finally {
        sub.dispose()
      }
    },
  }
}
