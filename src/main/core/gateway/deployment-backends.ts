import { createHmac, randomBytes } from 'node:crypto'
import type { Deployment } from '../../../shared/contract/deployments'
import type { DeploymentService, StartOverride } from '../deployments/deployment-service'
import type { Disposable } from '../events/publisher'
import type { SecretStore } from '../settings/secrets'
import type { SettingsService } from '../settings/settings-service'
import type { BackendState, GatewayBackend, GatewayBackends } from './backends'
import { SleepPark, type SleepDeps } from './sleep-park'

export type { SleepDeps, SleepRecord } from './sleep-park'

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
 * through its start job (waiting out a stop in progress), stop through its stop job. With `sleep`, an idle unload of a
 * deployment with sleep mode 'auto' parks it in vLLM's sleep (SleepPark) and start wakes it.
 */
export function deploymentBackends(o: {
  deployments: Pick<DeploymentService, 'list' | 'get' | 'start' | 'stop' | 'waitStopped' | 'onEvent'>
  settings: Pick<SettingsService, 'get' | 'onChange'>
  upstreamKey: (id: string) => string
  sleep?: SleepDeps
}): GatewayBackends & { start(id: string, override?: StartOverride): Promise<void> } {
  const stopping = new Set<string>()
  const unloading = new Map<string, Promise<void>>()
  const listeners = new Set<() => void>()
  const changed = (): void => {
    invalidate()
    for (const l of listeners) l()
  }
  const park = o.sleep ? new SleepPark({ ...o.sleep, changed }) : null
  const apiKey = (d: Deployment): string | undefined => {
    const own = words(d.definition.args['--api-key'])[0] ?? d.definition.env.VLLM_API_KEY
    return own ?? o.upstreamKey(d.definition.id)
  }
  let cache: GatewayBackend[] | null = null
  const list = (): GatewayBackend[] => {
    cache ??= o.deployments.list().map((d) => {
      const b = toBackend(d, { idleMinutes: o.settings.get().gatewayIdleMinutes, apiKey })
      if (stopping.has(b.id) && ACTIVE.has(b.state)) return { ...b, state: 'stopping', endpoint: null }
      return park ? park.view(b, d) : b
    })
    return cache
  }
  function invalidate(): void {
    cache = null
  }
  return {
    list,
    onChange(listener): Disposable {
      listeners.add(listener)
      const subs = [
        { dispose: () => void listeners.delete(listener) },
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
      // An idle unload in progress (a stop or a park): act once it is done.
      await unloading.get(id)?.catch(() => undefined)
      if (park?.isAsleep(id))
        return park.wake(o.deployments.get(id), async () => {
          o.deployments.stop(id)
          await o.deployments.waitStopped(id, { timeoutMs: 120_000 })
          o.deployments.start(id, override)
        })
      const state = o.deployments.get(id).status.state
      if (ACTIVE.has(state)) return
      if (state === 'stopping') await o.deployments.waitStopped(id, { timeoutMs: 120_000 })
      o.deployments.start(id, override)
    },
    async stop(id, reason) {
      // Say 'stopping' at once: a request arriving now must wait for a new start, not go to a server shutting down.
      stopping.add(id)
      invalidate()
      const job = (async () => {
        if (reason === 'idle' && park && !park.isAsleep(id) && (await park.park(o.deployments.get(id)))) return
        park?.forget(id)
        o.deployments.stop(id)
        await o.deployments.waitStopped(id, { timeoutMs: 120_000 })
      })()
      unloading.set(id, job)
      try {
        await job
      } finally {
        unloading.delete(id)
        stopping.delete(id)
        changed()
      }
    },
  }
}
