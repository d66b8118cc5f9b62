/**
 * The memory planner as the app runs it: a PlannerService over the GPU telemetry, the deployments, the gateway's
 * traffic and the footprint store, the gateway's backends wrapped so every gateway start is admitted first, and the
 * admission the deploy job asks for a manual start.
 */
import { freemem } from 'node:os'
import type { Logger } from 'pino'
import type { DeploymentService } from '../deployments/deployment-service'
import type { Disposable } from '../events/publisher'
import type { GpuService } from '../gpu/gpu-service'
import type { ModelService } from '../models/model-service'
import type { GatewayBackends } from '../gateway/gateway-service'
import type { SettingsService } from '../settings/settings-service'
import type { FootprintLookup } from './learned'
import { deploymentFingerprint, storeEstimates } from './model-files'
import type { StartAdmission } from '../deployments/deployment-service'
import { manualAdmission } from './manual-admission'
import { plannedBackends, type InnerBackends } from './planner-backends'
import { PlannerService, type PlannerOptions } from './planner-service'

export interface PlannerTraffic {
  traffic(id: string): { inFlight: number; lastUsedAt: number | null; requestTimes: number[] }
  onChange(fn: () => void): Disposable
}

export function createPlanner(o: {
  gpu: Pick<GpuService, 'snapshot' | 'onSnapshot'>
  deployments: Pick<DeploymentService, 'list' | 'onEvent'>
  models: Pick<ModelService, 'list'>
  /** The footprint store; absent = nothing learned yet (every start is planned from the estimate). */
  footprints?: FootprintLookup
  /** The gateway (called lazily: it is built with the backends this returns). */
  gateway: () => PlannerTraffic
  inner: InnerBackends
  /** Settings.gatewayMaxWaitMinutes, the gateway's hold limit, is the planner's drain limit (absent: options'). */
  settings?: Pick<SettingsService, 'get'>
  logger: Logger
  /** The planner's timings and limits; absent: DEFAULT_PLANNER_OPTIONS (the benchmark scales them to its clock). */
  options?: Partial<PlannerOptions>
  /** Host RAM free for level-1 sleep (default os.freemem; the benchmark's virtual workstation has its own). */
  hostFreeBytes?: () => number
}): { planner: PlannerService; backends: GatewayBackends; admission: StartAdmission } {
  const traffic = {
    inFlight: (id: string) => o.gateway().traffic(id).inFlight,
    lastUsedAt: (id: string) => o.gateway().traffic(id).lastUsedAt,
    requestTimes: (id: string) => o.gateway().traffic(id).requestTimes,
    onChange: (fn: () => void) => o.gateway().onChange(fn),
  }
  const planner = new PlannerService({
    footprints: o.footprints ?? { get: () => undefined },
    fingerprintOf: deploymentFingerprint(o.models),
    gpus: o.gpu,
    estimate: storeEstimates(o.models),
    deployments: { list: () => o.deployments.list(), onChange: (fn) => o.deployments.onEvent(() => fn()) },
    traffic,
    // Which deployments the gateway's backends parked in vLLM's sleep (their status still says ready).
    sleeping: {
      list: () => new Map(o.inner.list().flatMap((b) => (b.state === 'sleeping' ? [[b.id, b.sleepLevel ?? null] as const] : []))),
      onChange: (fn) => o.inner.onChange(fn),
    },
    hostFreeBytes: o.hostFreeBytes ?? freemem,
    // A request is held for drains as long as the gateway may hold it at all (not refused while it could still wait).
    ...(o.settings ? { drainLimitMs: () => o.settings!.get().gatewayMaxWaitMinutes * 60_000 } : {}),
    logger: o.logger,
    options: o.options,
  })
  return {
    planner,
    backends: plannedBackends({ inner: o.inner, planner, traffic, logger: o.logger }),
    // Manual starts evict through the same inner backends (an idle stop parks a sleep-capable model).
    admission: manualAdmission({ inner: o.inner, planner, traffic }),
  }
}
