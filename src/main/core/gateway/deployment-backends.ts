import { createHmac, randomBytes } from 'node:crypto'
import type { Deployment } from '../../../shared/contract/deployments'
import type { DeploymentService, StartOverride } from '../deployments/deployment-service'
import type { Disposable } from '../events/publisher'
import type { SecretStore } from '../settings/secrets'
import type { SettingsService } from '../settings/settings-service'
import type { BackendState, GatewayBackend, GatewayBackends } from './backends'

const words = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v == null ? [] : [String(v)]

/**
 * The generated vLLM --api-key of each deployment: an HMAC of its id under one secret kept encrypted in the secret
 * store (made on first use), so every container and the gateway agree without storing a key per deployment.
 */
export function upstreamKeys(secrets: Pick<SecretStore, 'get' | 'set'>): (id: string) => string {
  return (id) => {
    let secret = secrets.get('gatewayUpstream')
    if (!secret) {
      secret = randomBytes(32).toString('base64url')
      secrets.set('gatewayUpstream', secret)
    }
    return `iavllm-${createHmac('sha256', secret).update(id).digest('base64url')}`
  }
}

/** A deployment as the gateway sees it (pure: unit-tested). */
export function toBackend(d: Deployment, o: { idleMinutes: number; apiKey: (d: Deployment) => string | undefined }): GatewayBackend {
  const { definition: def, status: st } = d
  const served = words(def.args['--served-model-name'])
  const maxLen = Number(def.args['--max-model-len'])
  const diagnosis = st.diagnosis ? [st.diagnosis.reason, st.diagnosis.hint].filter(Boolean).join(' ') : undefined
  return {
    id: def.id,
    // vLLM serves under --served-model-name, else under --model (the repo id, as our containers are started).
    servedNames: served.length ? served : [def.model.repo],
    aliases: def.aliases,
    repoId: def.model.repo,
    deploymentName: def.name,
    serve: def.serve,
    state: st.state as BackendState,
    endpoint: st.state === 'ready' ? st.endpoint : null,
    apiKey: o.apiKey(d),
    maxModelLen: Number.isFinite(maxLen) && maxLen > 0 ? maxLen : undefined,
    phase: st.phase ?? undefined,
    progress: st.progress ?? undefined,
    etaSeconds: st.etaSeconds ?? undefined,
    diagnosis: st.state === 'failed' ? diagnosis : undefined,
    idleMinutes: def.serve === 'always-on' ? 0 : (def.idleMinutes ?? o.idleMinutes),
  }
}

const ACTIVE = new Set(['ready', 'loading', 'starting', 'creating'])

/**
 * The deployments as the gateway's backends: the list from the deployment service (re-read on its events), start
 * through its start job (waiting out a stop in progress), stop through its stop job.
 */
export function deploymentBackends(o: {
  deployments: Pick<DeploymentService, 'list' | 'get' | 'start' | 'stop' | 'waitStopped' | 'onEvent'>
  settings: Pick<SettingsService, 'get' | 'onChange'>
  upstreamKey: (id: string) => string
}): GatewayBackends & { start(id: string, override?: StartOverride): Promise<void> } {
  const stopping = new Set<string>()
  const apiKey = (d: Deployment): string | undefined => {
    const own = words(d.definition.args['--api-key'])[0] ?? d.definition.env.VLLM_API_KEY
    return own ?? o.upstreamKey(d.definition.id)
  }
  let cache: GatewayBackend[] | null = null
  const list = (): GatewayBackend[] => {
    cache ??= o.deployments.list().map((d) => {
      const b = toBackend(d, { idleMinutes: o.settings.get().gatewayIdleMinutes, apiKey })
      if (stopping.has(b.id) && ACTIVE.has(b.state)) return { ...b, state: 'stopping', endpoint: null }
      return b
    })
    return cache
  }
  const invalidate = (): void => void (cache = null)
  return {
    list,
    onChange(listener): Disposable {
      const subs = [
        o.deployments.onEvent(() => {
          invalidate()
          listener()
        }),
        o.settings.onChange((next, prev) => {
          if (next.gatewayIdleMinutes === prev.gatewayIdleMinutes) return
          invalidate()
          listener()
        }),
      ]
      return { dispose: () => subs.forEach((s) => s.dispose()) }
    },
    async start(id: string, override?: StartOverride) {
      const state = o.deployments.get(id).status.state
      if (ACTIVE.has(state)) return
      // An idle stop still running: start again once it is done.
      if (state === 'stopping' || stopping.has(id)) await o.deployments.waitStopped(id, { timeoutMs: 120_000 })
      o.deployments.start(id, override)
    },
    async stop(id) {
      // Say 'stopping' at once: a request arriving now must wait for a new start, not go to a server shutting down.
      stopping.add(id)
      invalidate()
      try {
        o.deployments.stop(id)
        await o.deployments.waitStopped(id, { timeoutMs: 120_000 })
      } finally {
        stopping.delete(id)
        invalidate()
      }
    },
  }
}
