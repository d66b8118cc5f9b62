import type { AppInfo, PoolsSnapshot } from '../../shared/contract/system'
import type { DeploymentService } from './deployments/deployment-service'
import { deploymentsRouter } from './deployments/deployments-router'
import type { DeploymentInspector } from './deployments/inspector'
import type { FlagCatalogService } from './engine/flags-service'
import type { Gateway } from './gateway/gateway-app'
import { gatewayRouter } from './gateway/gateway-router'
import { plannerRouter } from './planner/planner-router'
import type { PlannerService } from './planner/planner-service'
import { engineRouter } from './engine/versions-router'
import type { EngineVersionsService } from './engine/versions-service'
import { gpuRouter } from './gpu/gpu-router'
import type { GpuService } from './gpu/gpu-service'
import { hostRouter } from './host/host-router'
import type { JobService } from './jobs/job-service'
import { jobsRouter } from './jobs/jobs-router'
import type { ModelService } from './models/model-service'
import { modelsRouter } from './models/models-router'
import { notificationsRouter } from './notify/notify-router'
import type { NotifyService } from './notify/notify-service'
import type { HostService } from './host/host-service'
import { base } from './rpc/base'
import { settingsRouter } from './settings/settings-router'
import type { SettingsService } from './settings/settings-service'
import { systemRouter } from './system/system-router'
import { webuiRouter } from './webui/webui-router'
import type { WebuiService } from './webui/webui-service'

export type { RpcContext } from './rpc/base'

/** Everything the routers need, built by create-core. Each domain adds its service here. */
export interface RouterDeps {
  info: AppInfo
  settings: SettingsService
  pools: () => PoolsSnapshot
  gpu: GpuService
  host: HostService
  jobs: JobService
  models: ModelService
  engine: EngineVersionsService
  deployments: DeploymentService
  deploymentInspector: DeploymentInspector
  flags: FlagCatalogService
  webui: WebuiService
  gateway: Gateway
  notify: NotifyService
  planner: PlannerService
}

/** The one router: one entry per domain, each domain's handlers in its own folder. */
export function createRouter(deps: RouterDeps) {
  return base.router({
    system: systemRouter(deps),
    settings: settingsRouter(deps.settings),
    gpu: gpuRouter(deps.gpu),
    host: hostRouter(deps.host),
    jobs: jobsRouter(deps.jobs),
    models: modelsRouter(deps.models),
    engine: engineRouter(deps.engine),
    deployments: deploymentsRouter(deps.deployments, deps.deploymentInspector, deps.flags),
    webui: webuiRouter(deps.webui),
    gateway: gatewayRouter(deps.gateway),
    notifications: notificationsRouter(deps.notify),
    planner: plannerRouter(deps.planner),
  })
}

export type AppRouter = ReturnType<typeof createRouter>
