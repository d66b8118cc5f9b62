import { type APIRequestContext, test as base } from '@playwright/test'
import { AppShell } from '../pages/app-shell'
import type { ServerInfo } from './server'

function serverFromEnv(): ServerInfo {
  const url = process.env.INFERADMIN_E2E_URL
  const token = process.env.INFERADMIN_E2E_TOKEN
  const home = process.env.INFERADMIN_E2E_HOME
  if (!url || !token || !home) throw new Error('the e2e server is not running (global setup did not run?)')
  return { url, token, home }
}

/** REST calls with the bearer token, for checking server state behind the UI's back. */
export class RestApi {
  constructor(
    private readonly request: APIRequestContext,
    private readonly server: ServerInfo,
  ) {}

  async get<T>(path: string): Promise<T> {
    const res = await this.request.get(`${this.server.url}/api/v1${path}`, {
      headers: { authorization: `Bearer ${this.server.token}` },
    })
    if (!res.ok()) throw new Error(`GET ${path}: ${res.status()} ${await res.text()}`)
    return (await res.json()) as T
  }

  async getText(path: string): Promise<string> {
    const res = await this.request.get(`${this.server.url}/api/v1${path}`, {
      headers: { authorization: `Bearer ${this.server.token}` },
    })
    return res.text()
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    const res = await this.request.post(`${this.server.url}/api/v1${path}`, {
      headers: { authorization: `Bearer ${this.server.token}` },
      data: body,
    })
    if (!res.ok()) throw new Error(`POST ${path}: ${res.status()} ${await res.text()}`)
    return (await res.json()) as T
  }

  async delete<T>(path: string): Promise<T> {
    const res = await this.request.delete(`${this.server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${this.server.token}` } })
    if (!res.ok()) throw new Error(`DELETE ${path}: ${res.status()} ${await res.text()}`)
    return (await res.json()) as T
  }

  async put<T>(path: string, body: unknown): Promise<T> {
    const res = await this.request.put(`${this.server.url}/api/v1${path}`, {
      headers: { authorization: `Bearer ${this.server.token}` },
      data: body,
    })
    if (!res.ok()) throw new Error(`PUT ${path}: ${res.status()} ${await res.text()}`)
    return (await res.json()) as T
  }
}

export const test = base.extend<{ server: ServerInfo; rest: RestApi; app: AppShell }>({
  // eslint-disable-next-line no-empty-pattern
  server: async ({}, use) => {
    await use(serverFromEnv())
  },
  rest: async ({ request, server }, use) => {
    await use(new RestApi(request, server))
  },
  /** The app opened with the token (which sets the session cookie) and connected. */
  app: async ({ page, server }, use) => {
    const app = new AppShell(page)
    await app.open(server)
    await use(app)
  },
})

export { expect } from '@playwright/test'
