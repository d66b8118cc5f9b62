import type { DeploymentService } from '../deployments/deployment-service'
import type { ModelEndpoint, ModelEndpointsSource } from './webui-spec'

const first = (v: unknown): string | undefined =>
  Array.isArray(v) ? (v[0] as string | undefined) : typeof v === 'string' ? v.split(/\s+/)[0] : undefined

/** Ready deployments as Open WebUI connections; "changed" only when that set (id, port, key) changes. */
export function deploymentEndpoints(deployments: DeploymentService): ModelEndpointsSource {
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
      return deployments.onEvent(() => {
        const now = JSON.stringify(list())
        if (now === last) return
        last = now
        listener()
      })
    },
  }
}
