import { base } from '../rpc/base'
import type { EngineVersionsService } from './versions-service'

export function engineRouter(engine: EngineVersionsService) {
  return {
    tags: base.engine.tags.handler(() => engine.tags()),
    refreshTags: base.engine.refreshTags.handler(() => engine.refresh()),
    images: base.engine.images.handler(() => engine.images()),
    pull: base.engine.pull.handler(({ input }) => engine.pull(input.tag)),
    removeImage: base.engine.removeImage.handler(({ input }) => engine.removeImage(input.tag)),
    prune: base.engine.prune.handler(({ input }) => engine.prune(input.dryRun)),
    flagDiff: base.engine.flagDiff.handler(({ input }) => engine.flagDiff(input.from, input.to, input.args)),
    watch: base.engine.watch.handler(({ signal }) => engine.watch(signal)),
  }
}
