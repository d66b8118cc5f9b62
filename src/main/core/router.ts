import { setTimeout as sleep } from 'node:timers/promises'
import { implement } from '@orpc/server'
import { contract } from '../../shared/contract'
import type { AppInfo, PoolsSnapshot } from '../../shared/contract/system'
import { rewriteValidationError } from './rpc/validation'
import type { SettingsService } from './settings/settings-service'

/** Per-call context. `transport` says how the call arrived (for logs and auth-sensitive features). */
export interface RpcContext {
  transport?: 'ipc' | 'ws' | 'rest'
}

export interface RouterDeps {
  info: AppInfo
  settings: SettingsService
  pools: () => PoolsSnapshot
}

const os = implement(contract).$context<RpcContext>()

/** Every procedure goes through this: declared error shapes for invalid input, whatever the transport. */
const base = os.use(async ({ next }) => {
  try {
    return await next()
  } catch (error) {
    throw rewriteValidationError(error)
  }
})

export function createRouter(deps: RouterDeps) {
  return base.router({
    system: {
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
    },
    settings: {
      get: base.settings.get.handler(() => deps.settings.view()),
      update: base.settings.update.handler(({ input }) => deps.settings.update(input)),
    },
  })
}

export type AppRouter = ReturnType<typeof createRouter>
