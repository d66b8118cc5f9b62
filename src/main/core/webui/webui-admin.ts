/** What GET /openai/config and POST /openai/config/update carry (backend/open_webui/routers/openai.py). */
export interface OpenAIConfig {
  ENABLE_OPENAI_API: boolean | null
  OPENAI_API_BASE_URLS: string[]
  OPENAI_API_KEYS: string[]
  OPENAI_API_CONFIGS: Record<string, unknown>
  ENABLE_API_DEBUG_LOGGING?: boolean | null
}

/** A problem talking to Open WebUI's admin API, with the one step the user can take instead. */
export class AdminApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message)
  }
}

/**
 * Open WebUI's own HTTP API as its admin: sign in with InferAdmin's account (signing it up on a fresh
 * install, where the first account becomes admin), then read and write the OpenAI connections.
 */
export class WebuiAdminClient {
  private token: string | null = null

  constructor(
    private readonly baseUrl: string,
    private readonly account: { email: string; name: string; password: string },
  ) {}

  private async call<T>(
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
    auth = true,
  ): Promise<{ status: number; body: T }> {
    let res: Response
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(auth && this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
      })
    } catch (err) {
      throw new AdminApiError(`Open WebUI did not answer at ${this.baseUrl}: ${(err as Error).message}`, null)
    }
    const text = await res.text()
    let parsed: unknown = null
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      parsed = text
    }
    return { status: res.status, body: parsed as T }
  }

  private static detail(body: unknown): string {
    const d = (body as { detail?: unknown } | null)?.detail
    return typeof d === 'string' ? d : JSON.stringify(d ?? body).slice(0, 200)
  }

  /** Sign in; on a fresh install (no account yet) sign up, which makes our account the admin. */
  async login(signal?: AbortSignal): Promise<{ created: boolean }> {
    const creds = { email: this.account.email, password: this.account.password }
    const r = await this.call<{ token?: string; role?: string }>('POST', '/api/v1/auths/signin', creds, signal, false)
    if (r.status === 200 && r.body.token) {
      if (r.body.role !== 'admin')
        throw new AdminApiError(`InferAdmin's Open WebUI account (${this.account.email}) is no longer an admin.`, 403)
      this.token = r.body.token
      return { created: false }
    }
    if (r.status !== 400 && r.status !== 401 && r.status !== 403)
      throw new AdminApiError(`Open WebUI sign-in failed: HTTP ${r.status} ${WebuiAdminClient.detail(r.body)}`, r.status)
    const s = await this.call<{ token?: string; role?: string }>(
      'POST',
      '/api/v1/auths/signup',
      { ...creds, name: this.account.name },
      signal,
      false,
    )
    if (s.status === 200 && s.body.token && s.body.role === 'admin') {
      this.token = s.body.token
      return { created: true }
    }
    if (s.status === 200)
      throw new AdminApiError(
        `Open WebUI already has an admin, so InferAdmin's account (${this.account.email}) was created as "${s.body.role}".`,
        403,
      )
    const why = { signin: WebuiAdminClient.detail(r.body), signup: WebuiAdminClient.detail(s.body) }
    throw new AdminApiError(
      `InferAdmin cannot sign in to Open WebUI as ${this.account.email} (${why.signin}), and sign-up was refused (${why.signup}).`,
      s.status,
    )
  }

  private async authed<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    if (!this.token) await this.login(signal)
    let r = await this.call<T>(method, path, body, signal)
    if (r.status === 401) {
      await this.login(signal)
      r = await this.call<T>(method, path, body, signal)
    }
    if (r.status !== 200)
      throw new AdminApiError(`Open WebUI refused ${method} ${path}: HTTP ${r.status} ${WebuiAdminClient.detail(r.body)}`, r.status)
    return r.body
  }

  getOpenAIConfig(signal?: AbortSignal): Promise<OpenAIConfig> {
    return this.authed('GET', '/openai/config', undefined, signal)
  }

  updateOpenAIConfig(c: OpenAIConfig, signal?: AbortSignal): Promise<OpenAIConfig> {
    return this.authed('POST', '/openai/config/update', c, signal)
  }

  /** Create an account for the owner (POST /api/v1/auths/add, admin only). */
  async addUser(u: { name: string; email: string; password: string; role: 'admin' | 'user' }, signal?: AbortSignal): Promise<void> {
    await this.authed('POST', '/api/v1/auths/add', u, signal)
  }
}
