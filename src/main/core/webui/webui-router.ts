import { base } from '../rpc/base'
import type { WebuiService } from './webui-service'

export function webuiRouter(svc: WebuiService) {
  return {
    get: base.webui.get.handler(async () => {
      await svc.refresh()
      return svc.status()
    }),
    deploy: base.webui.deploy.handler(({ input }) => svc.deploy(input)),
    start: base.webui.start.handler(() => svc.start()),
    stop: base.webui.stop.handler(() => svc.stop()),
    update: base.webui.update.handler(({ input }) => svc.update(input.tag)),
    delete: base.webui.delete.handler(({ input }) => svc.delete(input.query.data)),
    dataSize: base.webui.dataSize.handler(() => svc.dataSize()),
    createAccount: base.webui.createAccount.handler(({ input, signal }) => svc.createAccount(input, signal)),
    sync: base.webui.sync.handler(({ signal }) => svc.syncNow(signal)),
    watch: base.webui.watch.handler(({ signal }) => svc.watch(signal)),
  }
}
