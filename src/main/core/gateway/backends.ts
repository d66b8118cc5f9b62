import type { Disposable } from '../events/publisher'

/** How a deployment takes part in the gateway (the per-definition "serve" toggle). */
export type ServeMode = 'on-demand' | 'always-on' | 'off'

/** The deployment's lifecycle as the gateway needs it ('sleeping': parked by vLLM sleep mode, woken by start()). */
export type BackendState = 'ready' | 'loading' | 'starting' | 'creating' | 'stopping' | 'stopped' | 'sleeping' | 'failed'

/** What `/v1/models` shows for a model. */
export type PublicModelState = 'loaded' | 'loading' | 'sleeping' | 'cold' | 'failed'

/**
 * One deployment behind the gateway, as the integrator's adapter presents it. Names, strongest first:
 * `servedNames` (vLLM's --served-model-name values, else the --model value; the first is the one vLLM echoes) and
 * `aliases` are explicit claims and must be unique across definitions (see nameClaims); `repoId` and
 * `deploymentName` are implicit and route only where no other backend has the same one.
 */
export interface GatewayBackend {
  id: string
  servedNames: string[]
  aliases?: string[]
  repoId?: string
  deploymentName?: string
  serve: ServeMode
  state: BackendState
  /** Base URL of the running vLLM server (e.g. http://127.0.0.1:8001), null when not running. */
  endpoint: string | null
  /** The generated --api-key the gateway injects upstream. */
  apiKey?: string
  maxModelLen?: number
  /** Load progress from the deployment status, shown to streaming clients while held. */
  phase?: string
  /** 0..1 */
  progress?: number
  etaSeconds?: number
  /** Why the last start failed (shown in the 503 of every held request). */
  diagnosis?: string
  /** Minutes idle before the gateway unloads it; 0 or absent = never (the adapter applies the Settings default). */
  idleMinutes?: number
  /** The vLLM sleep level while state is 'sleeping' (absent when unknown). */
  sleepLevel?: 1 | 2
}

/** What the gateway needs of the deployments; create-core adapts the deployment service to it. */
export interface GatewayBackends {
  /** Every deployment with its current state (cheap: called on every request and change). */
  list(): readonly GatewayBackend[]
  /** Called after any backend's state or definition may have changed (extra calls are harmless). */
  onChange(listener: () => void): Disposable
  /**
   * Start (or wake) the deployment. Idempotent: starting one that is already starting is fine. A throw or a rejected
   * promise means the start could not even begin: held requests get 503 with its message.
   */
  start(id: string): void | Promise<unknown>
  /** Stop (or park) it; the gateway calls this for idle unloads and for unload(). */
  stop(id: string, reason: 'idle' | 'manual'): Promise<void>
}

/** Every name a backend answers to, explicit ones first. */
export function backendNames(b: GatewayBackend): string[] {
  const implicit = [b.repoId, b.deploymentName].filter((n): n is string => !!n)
  return [...new Set([...b.servedNames, ...(b.aliases ?? []), ...implicit])]
}

/** The name used in metrics, logs and status: the first served name, else the deployment's id. */
export function primaryName(b: GatewayBackend): string {
  return b.servedNames[0] ?? b.id
}

export function publicState(b: GatewayBackend): PublicModelState {
  switch (b.state) {
    case 'ready':
      return b.endpoint ? 'loaded' : 'loading'
    case 'loading':
    case 'starting':
    case 'creating':
      return 'loading'
    case 'sleeping':
      return 'sleeping'
    case 'failed':
      return 'failed'
    default:
      return 'cold'
  }
}

/** Ready to take a request now. */
export const isServing = (b: GatewayBackend): boolean => b.state === 'ready' && !!b.endpoint
