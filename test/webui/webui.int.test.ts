import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { DeploymentSpecInput } from '../../src/shared/contract/deployments'
import { WEBUI_VOLUME } from '../../src/main/core/webui/webui-spec'
import { seedModel } from '../sim/seed.js'
import { PROFILES } from '../sim/gpus/profiles.js'
import { action, createDeployment, getDeployment, ourContainers, serve, waitFor, waitState, type Server } from '../deployments/support'
import { fingerprint, freePort, occupy, runJob, simState, volumeExists, waitWebui, webui, webuiContainers } from './support'

// Open WebUI in one click against the simulated workstation: the real headless server, real deployments of the
// simulated vLLM, and the simulated Open WebUI image (ghcr.io/open-webui/open-webui:* built by `sim up`).
const [gpu0, gpu1] = PROFILES.default!.gpus
let env: Record<string, string>
let docker: Docker
let home: string
let server: Server
let model: string
let port: number
const ids: Record<string, string> = {}
const ports: Record<string, number> = {}
let instanceId = ''

const spec = (name: string, gpu: string): DeploymentSpecInput => ({
  name,
  model: { repo: model, revision: 'main' },
  image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
  gpus: [gpu],
  args: { '--gpu-memory-utilization': 0.45 },
  env: { INFERADMIN_SIM_SPEED: '4' },
})
const url = (p: number): string => `http://host.docker.internal:${p}/v1`

async function clean(): Promise<void> {
  for (const c of [...(await webuiContainers(docker)), ...(await ourContainers(docker))])
    await docker.getContainer(c.Id).remove({ force: true })
  if (await volumeExists(docker, WEBUI_VOLUME)) await docker.getVolume(WEBUI_VOLUME).remove()
}

async function deployReady(name: string, gpu: string): Promise<void> {
  const d = await createDeployment(server, spec(name, gpu))
  ids[name] = d.definition.id
  await action(server, d.definition.id, 'start')
  const ready = await waitState(server, d.definition.id, 'ready', 40_000)
  ports[name] = ready.status.hostPort!
}

beforeAll(async () => {
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  expect(env.INFERADMIN_SIM_WEBUI_IMAGE).toBe('ghcr.io/open-webui/open-webui')
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  await clean()
  home = mkdtempSync(join(tmpdir(), 'inferadmin-webui-'))
  mkdirSync(home, { recursive: true })
  port = await freePort()
  // 0.0.0.0: Open WebUI's container reaches the deployments through host.docker.internal (the bridge gateway).
  writeFileSync(
    join(home, 'settings.json'),
    // The gateway is off until the test about it: the others are about one connection per deployment.
    JSON.stringify({ gpuRefreshMs: 500, containerRefreshMs: 2000, listenInterface: '0.0.0.0', webuiPort: port, gatewayEnabled: false }),
  )
  model = (await seedModel(join(home, 'models'), { kind: 'chat' })).repo
  server = await serve(home, { DOCKER_HOST: env.DOCKER_HOST!, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI! })
  await deployReady('alpha', gpu1!.uuid)
}, 180_000)

afterAll(async () => {
  await server?.kill('SIGKILL')
  if (docker) await clean()
  if (home) rmSync(home, { recursive: true, force: true })
})

// An ordered scenario, not independent tests: each step uses the Open WebUI container, its volume and the deployments that the steps before deployed
// (starting them again for every test would add minutes to each run). Shuffled runs (npm run test:stress) keep this
// order; the files themselves still run in random order.
describe('Open WebUI wired to the deployments', { shuffle: false }, () => {
  it('serves the REST routes of the issue, documented in openapi.json (DELETE takes ?data=)', async () => {
    type Op = { parameters?: { name: string; in: string }[] }
    const doc = (await server.api<{ paths: Record<string, Record<string, Op>> }>('GET', '/openapi.json')).body
    const routes = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/webui'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort()
    expect(routes).toEqual([
      'DELETE /webui',
      'GET /webui',
      'GET /webui/data',
      'POST /webui',
      'POST /webui/accounts',
      'POST /webui/start',
      'POST /webui/stop',
      'POST /webui/sync',
      'POST /webui/update',
    ])
    expect(doc.paths['/webui']!.delete!.parameters).toEqual([expect.objectContaining({ name: 'data', in: 'query' })])
  })

  it('one call → healthy → the stand-in lists the ready deployment as its OpenAI connection, reachable', async () => {
    expect((await webui(server)).state).toBe('absent')
    // The watch stream (what the page shows): the status at once, then each change as the job moves the container.
    const rpc = await server.rpc()
    const stream = await rpc.client.webui.watch()
    const next = async (): Promise<string> => {
      const n = await stream.next()
      return n.done ? 'stream ended' : n.value.state
    }
    // Taken before anything changes: a stream without its snapshot would wait here.
    const seen = [await next()]
    const watching = (async () => {
      while (seen.at(-1) !== 'healthy' && seen.at(-1) !== 'stream ended') seen.push(await next())
    })()
    const job = await runJob(server, 'POST', '/webui', {})
    expect(job.state, JSON.stringify(job.error)).toBe('done')
    await watching.finally(() => rpc.close())
    const moving = seen.indexOf('creating')
    expect(moving, seen.join(' → ')).toBeGreaterThan(0)
    expect(seen.slice(0, moving).every((x) => x === 'absent')).toBe(true)
    expect(seen.at(-1)).toBe('healthy')
    const w = await waitWebui(server, 'healthy and in sync', (x) => x.state === 'healthy' && x.sync.state === 'in-sync')
    expect(w.url).toBe(`http://127.0.0.1:${port}/`)
    expect(w.connections).toEqual([{ deploymentId: ids.alpha, name: 'alpha', baseUrl: url(ports.alpha!) }])
    expect(w.image).toBe('ghcr.io/open-webui/open-webui:main')

    const st = await simState(port)
    instanceId = st.instanceId
    expect(st.config.openai.OPENAI_API_BASE_URLS).toEqual([url(ports.alpha!)])
    expect(st.config.ollama.ENABLE_OLLAMA_API).toBe(false)
    expect(st.connections).toEqual([expect.objectContaining({ url: url(ports.alpha!), reachable: true, models: [model] })])
    expect(st.users).toEqual([{ email: 'inferadmin@inferadmin.local', role: 'admin' }])

    // The container: image, labels, data volume, host gateway, port on the interface, the kept secret key.
    const [c] = await webuiContainers(docker)
    const info = await docker.getContainer(c!.Id).inspect()
    expect(info.Config.Labels).toMatchObject({ 'inferadmin.managed': 'true', 'inferadmin.kind': 'webui', 'inferadmin.port': String(port) })
    expect(info.HostConfig.ExtraHosts).toEqual(['host.docker.internal:host-gateway'])
    expect(info.Mounts.find((m) => m.Destination === '/app/backend/data')?.Name).toBe(WEBUI_VOLUME)
    expect(info.HostConfig.PortBindings?.['8080/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: String(port) }])
    expect(info.Config.Env).toEqual(
      expect.arrayContaining(['ENABLE_OLLAMA_API=false', 'WEBUI_AUTH=true', `OPENAI_API_BASE_URLS=${url(ports.alpha!)}`]),
    )
    const key = info.Config.Env.find((e) => e.startsWith('WEBUI_SECRET_KEY='))!.slice('WEBUI_SECRET_KEY='.length)
    expect(st.secretKey.current).toBe(fingerprint(key))
    // Never sent to a client.
    expect(JSON.stringify(w)).not.toContain(key)
  })

  it('a new deployment becoming ready is added through the admin API (env ignored after the first start), data kept; a stopped one is removed', async () => {
    await deployReady('beta', gpu0!.uuid)
    const w = await waitWebui(server, 'with both connections', (x) => x.sync.state === 'in-sync' && x.sync.applied.length === 2)
    expect(w.sync.applied).toEqual([url(ports.alpha!), url(ports.beta!)])
    const st = await simState(port)
    expect(st.instanceId).toBe(instanceId)
    // Same container, same data: changed through /openai/config/update. (Start 1 was the loopback-only setup
    // container that created InferAdmin's admin before Open WebUI was published: first-admin.int.test.ts.)
    expect(st.starts).toBe(2)
    expect(st.envAtStart.openai.OPENAI_API_BASE_URLS).toEqual([url(ports.alpha!)])
    expect(st.connections.map((c) => [c.url, c.reachable])).toEqual([
      [url(ports.alpha!), true],
      [url(ports.beta!), true],
    ])

    await action(server, ids.beta!, 'stop')
    await waitState(server, ids.beta!, 'stopped', 40_000)
    await waitFor('beta gone from Open WebUI', async () => (await simState(port)).config.openai.OPENAI_API_BASE_URLS.length === 1, 20_000)
    expect((await simState(port)).config.openai.OPENAI_API_BASE_URLS).toEqual([url(ports.alpha!)])
  })

  it('a failed update of the connections shows the one manual step (never silently stale); a retry syncs', async () => {
    const fault = (n: number) =>
      fetch(`http://127.0.0.1:${port}/inferadmin-sim/fault`, { method: 'POST', body: JSON.stringify({ configUpdate: n }) })
    await fault(500)
    await action(server, ids.beta!, 'start')
    ports.beta = (await waitState(server, ids.beta!, 'ready', 40_000)).status.hostPort!
    const w = await waitWebui(server, 'sync failed', (x) => x.sync.state === 'failed')
    expect(w.sync.message).toMatch(/could not be updated: .*HTTP 500/)
    expect(w.sync.fix).toContain('Admin Panel → Settings → Connections')
    expect(w.sync.fix).toContain(url(ports.beta))
    expect(w.connections.map((c) => c.baseUrl)).toEqual([url(ports.alpha!), url(ports.beta)])
    await fault(0)
    const r = await server.api<{ sync: { state: string; applied: string[] } }>('POST', '/webui/sync')
    expect(r.body.sync).toMatchObject({ state: 'in-sync', applied: [url(ports.alpha!), url(ports.beta)] })
    await action(server, ids.beta!, 'stop')
    await waitState(server, ids.beta!, 'stopped', 40_000)
    await waitWebui(server, 'back to alpha only', (x) => x.sync.state === 'in-sync' && x.sync.applied.length === 1)
  })

  it("creates the owner's own admin account through the admin API (sign-up is closed after ours)", async () => {
    const owner = { name: 'Owner', email: 'Owner@Example.com', password: 'correct horse', role: 'admin' }
    const r = await server.api<{ email: string; role: string }>('POST', '/webui/accounts', owner)
    expect(r.body).toEqual({ email: 'owner@example.com', role: 'admin' })
    const signin = await fetch(`http://127.0.0.1:${port}/api/v1/auths/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@example.com', password: 'correct horse' }),
    })
    expect(((await signin.json()) as { role: string }).role).toBe('admin')
    const again = await server.api<{ message: string }>('POST', '/webui/accounts', {
      name: 'Owner',
      email: 'owner@example.com',
      password: 'correct horse',
    })
    expect(again.status).toBe(409)
    const long = await server.api<{ data: { fields: Record<string, string> } }>('POST', '/webui/accounts', {
      name: 'X',
      email: 'x@example.com',
      password: 'é'.repeat(37),
    })
    expect(long.status).toBe(400)
    expect(long.body.data.fields.password).toMatch(/72 bytes/)
  })

  it('a connection the owner added in Open WebUI is kept when deployments come and go', async () => {
    const base = `http://127.0.0.1:${port}`
    const signin = (await (
      await fetch(`${base}/api/v1/auths/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'owner@example.com', password: 'correct horse' }),
      })
    ).json()) as { token: string }
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${signin.token}` }
    // Refused at once inside the container (the state report probes every connection).
    const own = 'http://127.0.0.1:9/v1'
    const put = await fetch(`${base}/openai/config/update`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        ENABLE_OPENAI_API: true,
        OPENAI_API_BASE_URLS: [url(ports.alpha!), own],
        OPENAI_API_KEYS: ['', 'sk-own'],
        OPENAI_API_CONFIGS: {},
      }),
    })
    expect(put.status).toBe(200)
    await action(server, ids.beta!, 'start')
    ports.beta = (await waitState(server, ids.beta!, 'ready', 40_000)).status.hostPort!
    await waitFor(
      'beta added next to the own connection',
      async () => (await simState(port)).config.openai.OPENAI_API_BASE_URLS.length === 3,
      20_000,
    )
    expect((await simState(port)).config.openai.OPENAI_API_BASE_URLS).toEqual([own, url(ports.alpha!), url(ports.beta)])
    await action(server, ids.beta!, 'stop')
    await waitState(server, ids.beta!, 'stopped', 40_000)
    await waitFor('beta removed', async () => (await simState(port)).config.openai.OPENAI_API_BASE_URLS.length === 2, 20_000)
    const cfg = (await (await fetch(`${base}/openai/config`, { headers })).json()) as {
      OPENAI_API_BASE_URLS: string[]
      OPENAI_API_KEYS: string[]
    }
    expect(cfg.OPENAI_API_BASE_URLS).toEqual([own, url(ports.alpha!)])
    expect(cfg.OPENAI_API_KEYS).toEqual(['sk-own', ''])
  })

  it('after kill -9 of InferAdmin the new process adopts the running Open WebUI by its labels and still administers it', async () => {
    const [before] = await webuiContainers(docker)
    await server.kill('SIGKILL')
    server = await serve(home, { DOCKER_HOST: env.DOCKER_HOST!, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI! })
    const w = await waitWebui(server, 'adopted and in sync', (x) => x.state === 'healthy' && x.sync.state === 'in-sync')
    expect(w.containerId).toBe(before!.Id)
    expect(w.sync.applied).toEqual(['http://127.0.0.1:9/v1', url(ports.alpha!)])
    expect((await webuiContainers(docker)).map((c) => c.Id)).toEqual([before!.Id])
    expect((await simState(port)).starts).toBe(2)
  })

  it('stop → start keeps the secret key and the data; update to another tag keeps them too', async () => {
    expect((await runJob(server, 'POST', '/webui/stop')).state).toBe('done')
    await waitWebui(server, 'stopped', (x) => x.state === 'stopped' && x.url === null)
    // Its port taken meanwhile: a clear 409 naming it, the container left as it was.
    const holder = await occupy(port)
    try {
      const r = await server.api<{ message: string }>('POST', '/webui/start')
      expect(r.status).toBe(409)
      expect(r.body.message).toContain(`Port ${port} is in use`)
      expect((await webui(server)).state).toBe('stopped')
    } finally {
      await new Promise((r) => holder.close(r))
    }
    expect((await runJob(server, 'POST', '/webui/start')).state).toBe('done')
    await waitWebui(server, 'healthy again', (x) => x.state === 'healthy' && x.sync.state === 'in-sync')
    let st = await simState(port)
    expect(st.instanceId).toBe(instanceId)
    expect(st.starts).toBe(3)
    expect(st.secretKey.current).toBe(st.secretKey.firstStart)

    const up = await runJob(server, 'POST', '/webui/update', { tag: 'v0.6.33' })
    expect(up.state, JSON.stringify(up.error)).toBe('done')
    const w = await waitWebui(
      server,
      'healthy on v0.6.33',
      (x) => x.state === 'healthy' && x.tag === 'v0.6.33' && x.sync.state === 'in-sync',
    )
    expect(w.image).toBe('ghcr.io/open-webui/open-webui:v0.6.33')
    st = await simState(port)
    expect(st.version).toBe('0.6.33')
    expect(st.instanceId).toBe(instanceId)
    expect(st.secretKey.current).toBe(st.secretKey.firstStart)
    expect(st.config.openai.OPENAI_API_BASE_URLS).toEqual(['http://127.0.0.1:9/v1', url(ports.alpha!)])
  })

  it('with the gateway on, Open WebUI has exactly one connection — the gateway, with its key — listing cold models too', async () => {
    const cold = await createDeployment(server, { ...spec('gamma', gpu0!.uuid), args: { '--served-model-name': 'gamma-chat' } })
    const gwPort = await freePort()
    expect((await server.api('PUT', '/settings', { gatewayEnabled: true, gatewayPort: gwPort })).status).toBe(200)
    const w = await waitWebui(
      server,
      'one connection: the gateway',
      (x) => x.sync.state === 'in-sync' && x.connections.length === 1 && x.connections[0]?.baseUrl === url(gwPort),
    )
    expect(w.connections).toEqual([{ deploymentId: 'gateway', name: 'InferAdmin gateway', baseUrl: url(gwPort) }])
    const st = await waitFor("the stand-in lists the gateway's models", async () => {
      const s = await simState(port)
      const c = s.connections.find((x) => x.url === url(gwPort))
      return c?.reachable && c.models.includes('gamma-chat') ? s : undefined
    })
    // Ours: the gateway alone (the deployments' own connections are gone); the one the owner added stays.
    expect(st.connections.filter((c) => c.url.startsWith('http://host.docker.internal')).map((c) => c.url)).toEqual([url(gwPort)])
    expect(st.connections.find((c) => c.url === url(gwPort))?.models).toEqual(expect.arrayContaining([model, 'gamma-chat']))
    // gamma was never started: listed cold, not loaded.
    expect((await getDeployment(server, cold.definition.id)).status.state).toBe('stopped')
  })

  it('delete without data keeps the volume (a new deploy finds the same data); delete with data removes it', async () => {
    expect((await runJob(server, 'DELETE', '/webui?data=false')).state).toBe('done')
    expect(await webuiContainers(docker)).toEqual([])
    expect(await volumeExists(docker, WEBUI_VOLUME)).toBe(true)
    expect((await webui(server)).state).toBe('absent')

    expect((await runJob(server, 'POST', '/webui', { tag: 'main' })).state).toBe('done')
    await waitWebui(server, 'healthy after redeploy', (x) => x.state === 'healthy' && x.sync.state === 'in-sync')
    expect((await simState(port)).instanceId).toBe(instanceId)
    const size = (await server.api<{ volume: string; exists: boolean; sizeBytes: number | null }>('GET', '/webui/data')).body
    expect(size).toMatchObject({ volume: WEBUI_VOLUME, exists: true })
    expect(size.sizeBytes).toBeGreaterThan(0)

    const del = await runJob(server, 'DELETE', '/webui?data=true')
    expect(del.result).toEqual({ volumeRemoved: true })
    expect(await webuiContainers(docker)).toEqual([])
    expect(await volumeExists(docker, WEBUI_VOLUME)).toBe(false)
  })

  it('port already in use → 409 naming the port, nothing created', async () => {
    const busy = await freePort()
    const holder = await occupy(busy)
    try {
      const r = await server.api<{ code: string; message: string; data: { fix: string } }>('POST', '/webui', { port: busy })
      expect(r.status).toBe(409)
      expect(r.body.message).toContain(`Port ${busy} is in use`)
      expect(r.body.data.fix).toMatch(/another port/)
      expect(await webuiContainers(docker)).toEqual([])
      expect(await volumeExists(docker, WEBUI_VOLUME)).toBe(false)
      expect((await webui(server)).state).toBe('absent')
    } finally {
      await new Promise((r) => holder.close(r))
    }
  })
})
