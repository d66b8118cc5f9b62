import { base } from '../rpc/base'
import type { DeploymentService } from './deployment-service'

export function deploymentsRouter(svc: DeploymentService) {
  return {
    list: base.deployments.list.handler(() => svc.list()),
    create: base.deployments.create.handler(({ input }) => svc.create(input)),
    get: base.deployments.get.handler(({ input }) => svc.get(input.id)),
    update: base.deployments.update.handler(({ input }) => {
      const { id, ...spec } = input
      return svc.update(id, spec)
    }),
    delete: base.deployments.delete.handler(({ input }) => svc.delete(input.id)),
    start: base.deployments.start.handler(({ input }) => svc.start(input.id)),
    stop: base.deployments.stop.handler(({ input }) => svc.stop(input.id)),
    restart: base.deployments.restart.handler(({ input }) => svc.restart(input.id)),
    logs: base.deployments.logs.handler(({ input }) => svc.logs(input.id, input.tail, input.search)),
    applyFix: base.deployments.applyFix.handler(({ input }) => svc.applyFix(input.id, input.start)),
    exportYaml: base.deployments.exportYaml.handler(({ input }) => svc.exportYaml(input.id)),
    importYaml: base.deployments.importYaml.handler(({ input }) => svc.importYaml(input.yaml)),
    removeOrphan: base.deployments.removeOrphan.handler(({ input }) => svc.removeOrphan(input.containerId)),
    flags: base.deployments.flags.handler(({ input, signal }) => svc.flags.forImage(input.image, signal)),
    validateArgs: base.deployments.validateArgs.handler(async ({ input }) => {
      const r = await svc.flags.validate(input.image, input.args, input.extraArgs)
      return { problems: r.problems, source: r.catalog.source }
    }),
    chat: base.deployments.chat.handler(async function* ({ input, signal }) {
      yield* svc.chat(input.id, input.messages, input.maxTokens, signal)
    }),
    watch: base.deployments.watch.handler(async function* ({ signal }) {
      yield* svc.watch(signal)
    }),
    followLogs: base.deployments.followLogs.handler(async function* ({ input, signal }) {
      yield* svc.followLogs(input.id, input.tail, signal)
    }),
  }
}
