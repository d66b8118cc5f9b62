import type { DeploymentDefinition, DeploymentStatus } from '../../../shared/contract/deployments'
import type { Disposable } from '../events/publisher'
import type { ModelEndpoint, ModelEndpointsSource } from './webui-spec'

/** The part of a deployment Open WebUI's connections are made of. */
export interface DeploymentView {
  definition: Pick<DeploymentDefinition, 'id' | 'name' | 'args' | 'env'>
  status: Pick<DeploymentStatus, 'state' | 'hostPort'>
}

/** What webui needs of the deployments (create-core adapts the deployment service to it). */
export interface DeploymentEndpointSource {
  /** Every deployment with its current status. */
  list(): readonly DeploymentView[]
  /** Called after any deployment's definition or status may have changed (extra calls are harmless). */
  onChange(listener: () => void): Disposable
}

const first = (v: unknown): string | undefined =>
  Array.isArray(v) ? (v[0] as string | undefined) : typeof v === 'string' ? v.split(/\s+/)[0] : undefined

/** Ready deployments as Open WebUI connections; "changed" only when that set (id, name, port, key) changes. */
export function deploymentEndpoints(deployments: DeploymentEndpointSource): ModelEndpointsSource {
  const list = (): ModelEndpoint[] =>
    deployments
      .list()
      .filter((d) => d.status.state === 'ready' && d.status.hostPort)
      .map((d) => ({
        deploymentId: d.definition.id,
        name: d.definition.name,
        port: d.status.hostPort as number,
        apiKey: first(d.definition.args['--api-key']) ?? d.definition.env.VLLM_API_KEY,
      }))
  return {
    list,
    onChange(listener) {
      let last = JSON.stringify(list())
      return deployments.onChange(() => {
        const now = JSON.stringify(list())
        if (now === last) return
        last = now
        listener()
      })
    },
  }
}

/** What webui needs of the gateway (create-core adapts it). */
export interface GatewayEndpointSource {
  /** Serving now (then it is Open WebUI's one connection). */
  running(): boolean
  port(): number
  /** Open WebUI's own gateway key. */
  key(): string
  onChange(listener: () => void): Disposable
}

/**
 * Open WebUI's connections: while the gateway runs, exactly one — the gateway, with its own key, so every routable
 * model shows, cold ones included; otherwise one per ready deployment. "changed" only when that set changes.
 */
export function modelEndpoints(o: { gateway: GatewayEndpointSource; deployments: DeploymentEndpointSource }): ModelEndpointsSource {
  const direct = deploymentEndpoints(o.deployments)
  const list = (): ModelEndpoint[] =>
    o.gateway.running()
      ? [{ deploymentId: 'gateway', name: 'InferAdmin gateway', port: o.gateway.port(), apiKey: o.gateway.key() }]
      : direct.list()
  return {
    list,
    onChange(listener) {
      let last = JSON.stringify(list())
      const check = (): void => {
        const now = JSON.stringify(list())
        if (now === last) return
        last = now
        listener()
      }
      const subs = [o.deployments.onChange(check), o.gateway.onChange(check)]
      return { dispose: () => subs.forEach((s) => s.dispose()) }
    },
  }
}
