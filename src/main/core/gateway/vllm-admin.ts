/**
 * vLLM's sleep-mode admin routes over HTTP (gateway-facts §1.2; dev mode only, no --api-key). Each call has a deadline
 * (a published port whose server is gone can hold a connection for seconds, test/sim/README.md) and fails with an
 * error that names the route, the instance and what came back.
 */
export interface VllmAdmin {
  /** `POST /sleep?level=N&mode=wait`: resolves once vLLM has finished falling asleep. */
  sleep(level: 1 | 2): Promise<void>
  /**
   * Wake everything. After level 2 the four steps of §1.3: weights, `reload_weights` (re-reads the checkpoint: a plain
   * wake would serve garbage), KV cache, prefix-cache reset.
   */
  wakeUp(level: 1 | 2): Promise<void>
  /** `GET /is_sleeping`. */
  isSleeping(): Promise<boolean>
}

export class VllmAdminError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message)
    this.name = 'VllmAdminError'
  }
}

export function vllmAdmin(endpoint: string, o: { timeoutMs?: number; fetch?: typeof fetch } = {}): VllmAdmin {
  const base = endpoint.replace(/\/+$/, '').replace(/\/v1$/, '')
  const timeoutMs = o.timeoutMs ?? 120_000
  const doFetch = o.fetch ?? fetch
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<string> => {
    let res: Response
    try {
      res = await doFetch(base + path, {
        method,
        signal: AbortSignal.timeout(timeoutMs),
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      })
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (err as Error).message
      throw new VllmAdminError(`vLLM at ${base} did not answer ${method} ${path}: ${why}.`, null)
    }
    const text = await res.text().catch(() => '')
    if (res.status === 404)
      throw new VllmAdminError(
        `vLLM at ${base} has no ${path} route (404): it runs without VLLM_SERVER_DEV_MODE=1; redeploy the deployment with sleep mode on.`,
        404,
      )
    if (!res.ok)
      throw new VllmAdminError(`vLLM at ${base} refused ${method} ${path}: ${res.status} ${text.slice(0, 300)}`.trim(), res.status)
    return text
  }
  return {
    async sleep(level) {
      await call('POST', `/sleep?level=${level}&mode=wait`)
    },
    async wakeUp(level) {
      if (level === 1) {
        await call('POST', '/wake_up')
        return
      }
      await call('POST', '/wake_up?tags=weights')
      await call('POST', '/collective_rpc', { method: 'reload_weights', args: [], kwargs: {}, timeout: null })
      await call('POST', '/wake_up?tags=kv_cache')
      await call('POST', '/reset_prefix_cache')
    },
    async isSleeping() {
      const text = await call('GET', '/is_sleeping')
      try {
        const v = (JSON.parse(text) as { is_sleeping?: unknown }).is_sleeping
        if (typeof v === 'boolean') return v
      } catch {
        /* answered below */
      }
      throw new VllmAdminError(`vLLM at ${base} answered GET /is_sleeping with ${text.slice(0, 200)}, not {"is_sleeping": bool}.`, 200)
    },
  }
}
