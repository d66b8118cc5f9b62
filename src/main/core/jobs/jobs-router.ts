import { base } from '../rpc/base'
import type { JobService } from './job-service'

export function jobsRouter(jobs: JobService) {
  return {
    list: base.jobs.list.handler(() => jobs.list()),
    get: base.jobs.get.handler(({ input }) => jobs.get(input.id)),
    cancel: base.jobs.cancel.handler(({ input }) => jobs.cancel(input.id)),
    pause: base.jobs.pause.handler(({ input }) => jobs.pause(input.id)),
    resume: base.jobs.resume.handler(({ input }) => jobs.resume(input.id)),
    watch: base.jobs.watch.handler(({ signal }) => jobs.watch(signal)),
  }
}
