import { base } from '../rpc/base'
import type { ModelService } from './model-service'

export function modelsRouter(models: ModelService) {
  return {
    list: base.models.list.handler(() => models.list()),
    search: base.models.search.handler(({ input, signal }) => models.search(input.q, input.sort, input.limit, signal)),
    plan: base.models.plan.handler(({ input, signal }) => models.plan(input.repo, input.revision, input.location, signal)),
    pull: base.models.pull.handler(({ input }) => models.pull(input)),
    checkUpdates: base.models.checkUpdates.handler(({ signal }) => models.checkUpdates(signal)),
    update: base.models.update.handler(({ input }) => models.update(`${input.org}/${input.name}`, input.location)),
    delete: base.models.delete.handler(({ input }) => models.delete(`${input.org}/${input.name}`, input.location, input.confirm)),
    storage: base.models.storage.handler(() => models.storage()),
    watch: base.models.watch.handler(({ signal }) => models.watch(signal)),
  }
}
