import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { WebuiSync } from '../../../shared/contract/webui'
import { freePort } from '../../../../test/sim/ports.js'
import { WebuiAdminClient, type OpenAIConfig } from './webui-admin'
import { baseUrlOf, type ModelEndpoint } from './webui-spec'
import { WebuiStore } from './webui-store'
import { ConnectionSync, planConnections, type Connection } from './webui-sync'

const config = (urls: string[], o: Partial<OpenAIConfig> = {}): OpenAIConfig => ({
  ENABLE_OPENAI_API: true,
  OPENAI_API_BASE_URLS: urls,
  OPENAI_API_KEYS: urls.map(() => ''),
  OPENAI_API_CONFIGS: {},
  ...o,
})
const conn = (port: number, key = ''): Connection => ({ url: baseUrlOf(port), key, config: {} })

describe('planConnections', () => {
  it("replaces a fresh install's default connections with ours", () => {
    const plan = planConnections(config(['https://api.openai.com/v1']), [conn(8001)], { managedUrls: [], fresh: true })
    expect(plan.want.map((c) => c.url)).toEqual([baseUrlOf(8001)])
    expect(plan.changed).toBe(true)
  })

  it('keeps connections added by hand (key and config), drops ours that went away, appends the ready ones', () => {
    const current = config([baseUrlOf(8001), 'http://mine:9000/v1'], {
      OPENAI_API_KEYS: ['', 'sk-mine'],
      OPENAI_API_CONFIGS: { '1': { prefix_id: 'mine' } },
    })
    const plan = planConnections(current, [conn(8002, 'k2')], { managedUrls: [baseUrlOf(8001)], fresh: false })
    expect(plan.want).toEqual([
      { url: 'http://mine:9000/v1', key: 'sk-mine', config: { prefix_id: 'mine' } },
      { url: baseUrlOf(8002), key: 'k2', config: {} },
    ])
    expect(plan.changed).toBe(true)
  })

  it('changes nothing when Open WebUI already has the list, and re-enables a disabled OpenAI API', () => {
    const record = { managedUrls: [baseUrlOf(8001)], fresh: false }
    expect(planConnections(config([baseUrlOf(8001)]), [conn(8001)], record).changed).toBe(false)
    expect(planConnections(config([baseUrlOf(8001)], { ENABLE_OPENAI_API: false }), [conn(8001)], record).changed).toBe(true)
    expect(planConnections(config([baseUrlOf(8001)]), [conn(8001, 'new-key')], record).changed).toBe(true)
  })
})

/** The simulated Open WebUI (test/sim/webui/server.js) as a plain process on a loopback port. */
async function startSimWebui(dataDir: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort()
  const proc = spawn(process.execPath, [resolve('test/sim/webui/server.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      WEBUI_SECRET_KEY: 'k',
      INFERADMIN_SIM_WEBUI_STARTUP_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  await new Promise<void>((res, rej) => {
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString()
      if (out.includes('Uvicorn running')) res()
    })
    proc.once('exit', (code) => rej(new Error(`sim Open WebUI exited (${code}): ${out}`)))
  })
  return { url: `http://127.0.0.1:${port}`, proc }
}

describe('ConnectionSync against the simulated Open WebUI', () => {
  let dir: string
  let sim: { url: string; proc: ChildProcess }
  let endpoints: ModelEndpoint[]
  let ready: boolean
  let states: WebuiSync['state'][]
  let store: WebuiStore
  let sync: ConnectionSync
  let admin: WebuiAdminClient

  const ep = (port: number): ModelEndpoint => ({ deploymentId: `d${port}`, name: `m${port}`, port })
  const simUrls = async (): Promise<string[]> => (await admin.getOpenAIConfig()).OPENAI_API_BASE_URLS
  /** Resolves at the next sync state in `want`. */
  const next = (want: WebuiSync['state'][]): Promise<WebuiSync> =>
    new Promise((res) => {
      const check = (): void => (want.includes(sync.current().state) ? res(sync.current()) : void waiters.push(check))
      waiters.push(check)
    })
  let waiters: (() => void)[] = []

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webui-sync-'))
    sim = await startSimWebui(join(dir, 'webui'))
    admin = new WebuiAdminClient(sim.url, { email: 'inferadmin@inferadmin.local', name: 'InferAdmin', password: 'pw' })
    await admin.login()
    const secrets = new Map<string, string>()
    store = new WebuiStore(dir, { get: (n) => secrets.get(n), set: (n, v) => void (v ? secrets.set(n, v) : secrets.delete(n)) })
    await store.load()
    await store.save({ fresh: true })
    endpoints = [ep(8001)]
    ready = true
    states = []
    waiters = []
    sync = new ConnectionSync({
      endpoints: () => endpoints,
      store,
      admin: () => admin,
      logger: pino({ level: 'silent' }),
      ready: () => ready,
      onChange: () => {
        states.push(sync.current().state)
        const w = waiters
        waiters = []
        for (const f of w) f()
      },
    })
  })

  afterEach(async () => {
    const exited = new Promise((res) => sim.proc.once('exit', res))
    sim.proc.kill()
    await exited
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes the ready deployments over a fresh install and remembers them as ours', async () => {
    expect(await simUrls()).toEqual(['https://api.openai.com/v1'])
    await sync.run()
    expect(await simUrls()).toEqual([baseUrlOf(8001)])
    expect(sync.current()).toMatchObject({ state: 'in-sync', applied: [baseUrlOf(8001)], message: null })
    expect(store.record).toMatchObject({ managedUrls: [baseUrlOf(8001)], fresh: false })
  })

  it('keeps a connection the user added in Open WebUI when the deployments change', async () => {
    await sync.run()
    await admin.updateOpenAIConfig(config([baseUrlOf(8001), 'http://mine:9000/v1']))
    endpoints = [ep(8002)]
    await sync.run()
    expect(await simUrls()).toEqual(['http://mine:9000/v1', baseUrlOf(8002)])
  })

  it('reports a refused update with the connections to set by hand, and syncs once Open WebUI takes it', async () => {
    await fetch(`${sim.url}/inferadmin-sim/fault`, { method: 'POST', body: JSON.stringify({ configUpdate: 500 }) })
    const failed = next(['failed'])
    sync.request()
    const f = await failed
    expect(f.message).toMatch(/could not be updated.*HTTP 500/)
    expect(f.fix).toContain(baseUrlOf(8001))
    await fetch(`${sim.url}/inferadmin-sim/fault`, { method: 'POST', body: JSON.stringify({ configUpdate: 0 }) })
    const ok = next(['in-sync'])
    sync.request()
    expect((await ok).applied).toEqual([baseUrlOf(8001)])
  })

  it('folds a burst of requests into one sync that writes the latest list', async () => {
    for (const port of [8001, 8002, 8003, 8004]) {
      endpoints = [ep(port)]
      sync.request()
    }
    // now() queues behind whatever the burst left: one sync for the burst, one for now().
    await sync.now()
    expect(states.filter((s) => s === 'syncing')).toHaveLength(2)
    expect(sync.current().state).toBe('in-sync')
    expect(await simUrls()).toEqual([baseUrlOf(8004)])
  })

  it('skips a requested sync while Open WebUI is not ready, and reports not-running when it goes away', async () => {
    ready = false
    sync.request()
    await sync.now()
    // now() ran one sync (POST /webui/sync checks health itself); the request before it ran none.
    expect(states.filter((s) => s === 'syncing')).toHaveLength(1)
    sync.observed(false, false)
    expect(sync.current().state).toBe('not-running')
  })
})
