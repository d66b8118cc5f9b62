import { base } from '../rpc/base'
import type { PlannerService } from './planner-service'

export function plannerRouter(p: PlannerService) {
  return {
    status: base.planner.status.handler(() => p.status()),
    log: base.planner.log.handler(({ input }) => p.log(input.limit)),
    watch: base.planner.watch.handler(({ signal }) => p.watch(signal)),
  }
}
