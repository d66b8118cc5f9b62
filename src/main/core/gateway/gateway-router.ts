import { base } from '../rpc/base'
import type { Gateway } from './gateway-app'

export function gatewayRouter(gw: Gateway) {
  return {
    get: base.gateway.get.handler(() => gw.status()),
    load: base.gateway.load.handler(({ input }) => {
      gw.load(input.name)
      return { ok: true as const }
    }),
    unload: base.gateway.unload.handler(async ({ input }) => {
      await gw.unload(input.name)
      return { ok: true as const }
    }),
    createKey: base.gateway.createKey.handler(({ input }) => gw.createKey(input.name, input.requestsPerMinute)),
    revokeKey: base.gateway.revokeKey.handler(({ input }) => {
      gw.revokeKey(input.id)
      return { ok: true as const }
    }),
    log: base.gateway.log.handler(({ input }) => gw.log(input.limit)),
    watch: base.gateway.watch.handler(({ signal }) => gw.watch(signal)),
  }
}
