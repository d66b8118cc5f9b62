import { describe, expect, it } from 'vitest'
import type { DeploymentState } from '../../../shared/contract/deployments'
import { deploymentEndpoints, modelEndpoints, type DeploymentEndpointSource, type DeploymentView } from './deployment-endpoints'

const dep = (
  id: string,
  state: DeploymentState,
  hostPort: number | null,
  o: Partial<DeploymentView['definition']> = {},
): DeploymentView => ({
  definition: { id, name: `model ${id}`, args: {}, env: {}, ...o },
  status: { state, hostPort },
})

/** Deployments held in memory, with the change signal the deployment service gives. */
function source(initial: DeploymentView[]): DeploymentEndpointSource & { set(d: DeploymentView[]): void } {
  let list = initial
  const listeners = new Set<() => void>()
  return {
    list: () => list,
    onChange: (fn) => (listeners.add(fn), { dispose: () => void listeners.delete(fn) }),
    set(d) {
      list = d
      for (const fn of listeners) fn()
    },
  }
}

describe('deploymentEndpoints', () => {
  it('lists the ready deployments with a port, with the API key from --api-key or VLLM_API_KEY', () => {
    const src = source([
      dep('a', 'ready', 8001, { args: { '--api-key': 'sk-a other' } }),
      dep('b', 'ready', 8002, { args: { '--api-key': ['sk-b'] } }),
      dep('c', 'ready', 8003, { env: { VLLM_API_KEY: 'sk-c' } }),
      dep('d', 'loading', 8004),
      dep('e', 'ready', null),
    ])
    expect(deploymentEndpoints(src).list()).toEqual([
      { deploymentId: 'a', name: 'model a', port: 8001, apiKey: 'sk-a' },
      { deploymentId: 'b', name: 'model b', port: 8002, apiKey: 'sk-b' },
      { deploymentId: 'c', name: 'model c', port: 8003, apiKey: 'sk-c' },
    ])
  })

  it('signals a change only when the list of ready endpoints changes, and not after dispose', () => {
    const src = source([dep('a', 'loading', 8001)])
    let calls = 0
    const sub = deploymentEndpoints(src).onChange(() => calls++)
    src.set([dep('a', 'loading', 8001)])
    expect(calls).toBe(0)
    src.set([dep('a', 'ready', 8001)])
    expect(calls).toBe(1)
    src.set([dep('a', 'ready', 8001)])
    expect(calls).toBe(1)
    sub.dispose()
    src.set([])
    expect(calls).toBe(1)
  })
})

describe('modelEndpoints', () => {
  it('while the gateway runs Open WebUI has exactly one connection, the gateway with its key; else one per ready deployment', () => {
    const deployments = source([dep('a', 'ready', 8001), dep('b', 'stopped', null)])
    let running = false
    const gatewayListeners = new Set<() => void>()
    const gateway = {
      running: () => running,
      port: () => 8000,
      key: () => 'iagw-webui',
      onChange: (fn: () => void) => (gatewayListeners.add(fn), { dispose: () => void gatewayListeners.delete(fn) }),
    }
    const endpoints = modelEndpoints({ gateway, deployments })
    let changes = 0
    const sub = endpoints.onChange(() => changes++)
    expect(endpoints.list().map((e) => e.port)).toEqual([8001])
    running = true
    for (const fn of gatewayListeners) fn()
    expect(changes).toBe(1)
    expect(endpoints.list()).toEqual([{ deploymentId: 'gateway', name: 'InferAdmin gateway', port: 8000, apiKey: 'iagw-webui' }])
    // Deployments coming and going no longer change Open WebUI's connections: the gateway lists cold models too.
    deployments.set([dep('a', 'ready', 8001), dep('b', 'ready', 8002)])
    expect(changes).toBe(1)
    sub.dispose()
  })
})
