import type { FlagCatalogService } from '../engine/flags-service'
import { AppError } from '../errors'
import { base } from '../rpc/base'
import type { DeploymentService } from './deployment-service'
import type { DeploymentInspector } from './inspector'
import { specWithFix } from './spec-check'
import { fromYaml, toYaml } from './yaml'

export function deploymentsRouter(svc: DeploymentService, inspector: DeploymentInspector, flags: FlagCatalogService) {
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
    logs: base.deployments.logs.handler(({ input }) => inspector.logs(input.id, input.tail, input.search)),
    applyFix: base.deployments.applyFix.handler(async ({ input }) => {
      const { definition, status } = svc.get(input.id)
      const fix = status.diagnosis?.fix
      if (!fix) throw new AppError('CONFLICT', 'This deployment has no fix to apply.', { fix: 'Change the definition by hand.' })
      await svc.update(input.id, specWithFix(definition, fix))
      if (input.start) svc.start(input.id)
      return svc.get(input.id)
    }),
    exportYaml: base.deployments.exportYaml.handler(({ input }) => {
      const d = svc.get(input.id).definition
      return { yaml: toYaml(d), fileName: `${d.name.replace(/[^A-Za-z0-9._-]+/g, '-')}.deployment.yaml` }
    }),
    importYaml: base.deployments.importYaml.handler(({ input }) => svc.create(fromYaml(input.yaml))),
    removeOrphan: base.deployments.removeOrphan.handler(({ input }) => inspector.removeOrphan(input.containerId)),
    flags: base.deployments.flags.handler(({ input, signal }) => flags.forImage(input.image, signal)),
    validateArgs: base.deployments.validateArgs.handler(async ({ input }) => {
      const r = await flags.validate(input.image, input.args, input.extraArgs)
      return { problems: r.problems, source: r.catalog.source }
    }),
    chat: base.deployments.chat.handler(async function* ({ input, signal }) {
      yield* inspector.chat(input.id, input.messages, input.maxTokens, signal)
    }),
    watch: base.deployments.watch.handler(async function* ({ signal }) {
      yield* svc.watch(signal)
    }),
    followLogs: base.deployments.followLogs.handler(async function* ({ input, signal }) {
      yield* inspector.followLogs(input.id, input.tail, signal)
    }),
  }
}
