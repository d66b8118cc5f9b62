/**
 * A fake workstation for the planner's unit tests: GPUs with external use, deployments with states, traffic; and the
 * gateway's view of a deployment (`backend`).
 */
import type { Deployment, DeploymentDefinition } from '../../../shared/contract/deployments'
import type { GpusSnapshot } from '../../../shared/contract/gpu'
import type { GatewayBackend } from '../gateway/gateway-service'
import { Publisher } from '../events/publisher'
import { PlannerService, type Admission, type PlannerOptions } from './planner-service'

export const MiB = 1024 ** 2
export const GiB = 1024 ** 3
export const TOTAL_MIB = 24_576

/** The gateway's backend for deployment `id` (served as `id`, on demand) in `state`. */
export const backend = (id: string, state: GatewayBackend['state']): GatewayBackend => ({
  id,
  servedNames: [id],
  serve: 'on-demand',
  state,
  endpoint: null,
})

/** A fake workstation: GPUs with external use, deployments with states, traffic; `changed()` fires every listener. */
export function world(
  o: {
    gpus?: number
    external?: number[]
    hostFreeBytes?: number
    now?: () => number
    drainLimitMs?: () => number
    options?: Partial<PlannerOptions>
    /** When the telemetry sample was taken (default: now). */
    sampledAt?: () => string
  } = {},
) {
  const events = new Publisher<void>()
  /** Deployments the gateway backends parked in vLLM's sleep, with their level. */
  const sleeping = new Map<string, 1 | 2 | null>()
  const external = o.external ?? []
  const deps: Deployment[] = []
  const inFlight = new Map<string, number>()
  /** Stopped deployments whose memory the telemetry still shows (the sample before the stop). */
  const lingering = new Set<string>()
  /** A GPU sample held back (the telemetry's last one, taken before what happens next). */
  let frozen: GpusSnapshot | null = null
  const snapshot = (): GpusSnapshot => frozen ?? live()
  const live = (): GpusSnapshot => ({
    status: 'ok',
    at: o.sampledAt?.() ?? new Date().toISOString(),
    intervalMs: 500,
    fault: null,
    gpus: Array.from({ length: o.gpus ?? 1 }, (_, i) => {
      const containers = deps
        .filter((d) => (d.status.state === 'ready' || lingering.has(d.definition.id)) && d.status.vramMiB && gpuOf(d) === i)
        .map((d) => ({
          containerId: `c-${d.definition.id}`,
          containerName: d.definition.name,
          deploymentId: d.definition.id,
          labels: {},
          pids: [1],
          usedMiB: d.status.vramMiB!,
        }))
      const used = (external[i] ?? 0) + containers.reduce((s, c) => s + c.usedMiB, 0)
      return {
        index: i,
        uuid: `GPU-${i}`,
        name: 'NVIDIA GeForce RTX 4090',
        memoryTotalMiB: TOTAL_MIB,
        memoryUsedMiB: used,
        memoryFreeMiB: TOTAL_MIB - used,
        utilizationPct: 0,
        powerDrawW: null,
        powerLimitW: null,
        temperatureC: null,
        driverVersion: null,
        memory: {
          containers,
          otherMiB: external[i] ?? 0,
          otherProcesses: [],
          freeMiB: TOTAL_MIB - used,
          reservedMiB: 0,
          appsAt: new Date().toISOString(),
        },
      }
    }),
  })
  const placed = new Map<string, number>()
  const gpuOf = (d: Deployment): number => placed.get(d.definition.id) ?? Number(d.definition.gpus[0]?.slice(4) ?? 0)
  const add = (id: string, def: Partial<DeploymentDefinition> = {}): void => {
    deps.push({
      definition: {
        id,
        name: id,
        model: { repo: `org/${id}`, revision: 'main' },
        image: 'vllm/vllm-openai:v0.21.0',
        alwaysLatest: false,
        gpus: ['GPU-0'],
        restartPolicy: 'no',
        ipcHost: false,
        env: {},
        args: {},
        extraArgs: '',
        serve: 'on-demand',
        sleepMode: 'off',
        aliases: [],
        createdAt: '',
        updatedAt: '',
        ...def,
      },
      status: { state: 'stopped', commit: null, vramMiB: null, readyAt: null } as unknown as Deployment['status'],
    })
  }
  const dep = (id: string): Deployment => deps.find((d) => d.definition.id === id)!
  /** The start ran: ready, holding what it was admitted for (as vLLM holds total × utilization). */
  const run = (id: string, a: Admission): void => {
    if (a.kind !== 'go') throw new Error(`expected go, got ${JSON.stringify(a)}`)
    placed.set(id, a.gpus[0]!)
    dep(id).status = { ...dep(id).status, state: 'ready', vramMiB: Math.round(a.bytesPerGpu / MiB) }
    planner.started(id, true)
    events.publish()
  }
  const stop = (id: string): void => {
    dep(id).status = { ...dep(id).status, state: 'stopped', vramMiB: lingering.has(id) ? dep(id).status.vramMiB : null }
    events.publish()
  }
  const planner = new PlannerService({
    footprints: { get: () => undefined },
    fingerprintOf: async () => null,
    gpus: { snapshot, onSnapshot: (fn) => events.subscribe(() => fn(snapshot())) },
    // 2 GiB fixed, 128 KiB KV per token, max model len 8192: auto need = 2 GiB + 4 × 8192 × 128 KiB = 6 GiB.
    estimate: async (def) => {
      if (def.model.repo.endsWith('missing')) throw new Error(`${def.model.repo} is not in the model store`)
      return { commit: 'c', fixedBytesPerGpu: 2 * GiB, kvBytesPerToken: 128 * 1024, maxPositionEmbeddings: 8192 }
    },
    deployments: { list: () => deps, onChange: (fn) => events.subscribe(fn) },
    traffic: { inFlight: (id) => inFlight.get(id) ?? 0, lastUsedAt: () => null, onChange: (fn) => events.subscribe(fn) },
    sleeping: { list: () => sleeping, onChange: (fn) => events.subscribe(fn) },
    hostFreeBytes: () => o.hostFreeBytes ?? 64 * GiB,
    logger: { info: () => undefined, warn: () => undefined },
    options: { drainLimitMs: 2000, ...o.options },
    ...(o.now ? { now: o.now } : {}),
    ...(o.drainLimitMs ? { drainLimitMs: o.drainLimitMs } : {}),
  })
  /** The backends put it to sleep: the container runs on (the deployment says ready) holding `keptMiB`. */
  const sleep = (id: string, level: 1 | 2, keptMiB: number): void => {
    sleeping.set(id, level)
    dep(id).status = { ...dep(id).status, vramMiB: keptMiB }
    events.publish()
  }
  /** The telemetry's next sample is late: the last one (dated 1 s ago) stands until thaw(). */
  const freeze = (): void => {
    const s = live()
    const at = new Date(Date.now() - 1000).toISOString()
    frozen = { ...s, at, gpus: s.gpus.map((g) => ({ ...g, memory: { ...g.memory, appsAt: at } })) }
  }
  const thaw = (): void => {
    frozen = null
    events.publish()
  }
  return { planner, add, run, stop, sleep, dep, inFlight, external, lingering, freeze, thaw, changed: () => events.publish() }
}
