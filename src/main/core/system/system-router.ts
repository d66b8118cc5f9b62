import { setTimeout as sleep } from 'node:timers/promises'
import type { AppInfo, PoolsSnapshot } from '../../../shared/contract/system'
import { base } from '../rpc/base'

export interface SystemRouterDeps {
  info: AppInfo
  pools: () => PoolsSnapshot
}

export function systemRouter(deps: SystemRouterDeps) {
  return {
    health: base.system.health.handler(() => ({ status: 'ok' as const, version: deps.info.version })),
    info: base.system.info.handler(() => deps.info),
    pools: base.system.pools.handler(() => deps.pools()),
    watchPools: base.system.watchPools.handler(async function* ({ signal }) {
      while (!signal?.aborted) {
        yield deps.pools()
        try {
          await sleep(1000, undefined, { signal })
        } catch {
          return
        }
      }
    }),
  }
}
