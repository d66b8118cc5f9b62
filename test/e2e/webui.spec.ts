import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import type { Deployment } from '../../src/shared/contract/deployments'
import { PROFILES } from '../sim/gpus/profiles.js'
import { freePort } from '../sim/ports.js'
import { seedModel } from '../sim/seed.js'
import { down, up } from '../sim/sim.js'
import { AppShell } from './pages/app-shell'
import { WebuiPage } from './pages/webui-page'
import { expect, test } from './support/fixtures'
import { type RunningServer, startServer } from './support/server'

// Against the simulated workstation: this spec's own server uses the sim's engine, which holds the simulated
// Open WebUI image under its real name (ghcr.io/open-webui/open-webui:main) and the simulated vLLM images.
let sim: Awaited<ReturnType<typeof up>>
let server: RunningServer
let docker: Docker
let model: string
const VOLUME = 'inferadmin-open-webui-data'

async function clean(): Promise<void> {
  for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label: ['inferadmin.managed=true'] }) }))
    await docker.getContainer(c.Id).remove({ force: true })
  await docker
    .getVolume(VOLUME)
    .remove()
    .catch(() => undefined)
}

async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

test.describe('Open WebUI', () => {
  test.describe.configure({ timeout: 180_000 })

  test.beforeAll(async () => {
    sim = await up({ engine: 'private' })
    docker = new Docker({ socketPath: sim.env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
    await clean()
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-e2e-webui-'))
    mkdirSync(home, { recursive: true })
    writeFileSync(
      join(home, 'settings.json'),
      // No gateway: this spec is about Open WebUI's connection per ready deployment (gateway.spec covers the other case).
      JSON.stringify({ gpuRefreshMs: 500, listenInterface: '0.0.0.0', webuiPort: await freePort(), gatewayEnabled: false }),
    )
    model = (await seedModel(join(home, 'models'), { kind: 'chat' })).repo
    server = await startServer({ home, env: { DOCKER_HOST: sim.env.DOCKER_HOST, INFERADMIN_NVIDIA_SMI: sim.env.INFERADMIN_NVIDIA_SMI } })
  })

  test.afterAll(async () => {
    await server?.stop()
    if (sim) {
      await clean()
      if (sim.startedEngine) await down()
    }
  })

  test('deploy from the page: Running, the Open link points at the port, a ready deployment is listed; stop/start/update; delete with data shows the size', async ({
    page,
  }) => {
    // A ready deployment first, so Open WebUI starts wired to it.
    const d = await rest<Deployment>('POST', '/deployments', {
      name: 'e2e-chat',
      model: { repo: model, revision: 'main' },
      image: `${sim.env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
      gpus: [PROFILES.default!.gpus[1]!.uuid],
      args: { '--gpu-memory-utilization': 0.5 },
      env: { INFERADMIN_SIM_SPEED: '4' },
    })
    await rest('POST', `/deployments/${d.definition.id}/start`)
    await expect
      .poll(async () => (await rest<Deployment>('GET', `/deployments/${d.definition.id}`)).status.state, { timeout: 60_000 })
      .toBe('ready')
    const vllmPort = (await rest<Deployment>('GET', `/deployments/${d.definition.id}`)).status.hostPort

    const app = new AppShell(page)
    await app.open(server)
    const webui = new WebuiPage(app)
    await webui.open()
    await expect(webui.state).toHaveText('Not deployed')
    await expect(webui.openLink).toHaveCount(0)
    const port = await freePort()
    await webui.deploy(port)

    await expect(webui.state).toHaveText('Running', { timeout: 60_000 })
    const url = `http://127.0.0.1:${port}/`
    await expect(webui.openLink).toHaveAttribute('href', url)
    await expect(webui.openLink).toHaveAttribute('target', '_blank')
    await expect(webui.address).toHaveText(url)
    await expect(webui.connections.getByTestId('sync-state')).toHaveText('In sync')
    await expect(webui.connections.getByRole('listitem')).toHaveText(
      [`e2e-chat http://host.docker.internal:${vllmPort}/v1`].map((t) => new RegExp(t.replace(/ /, '\\s*').replace(/[.]/g, '\\.'))),
    )
    // The link leads to Open WebUI itself.
    expect(await (await fetch(url)).text()).toContain('<title>Open WebUI</title>')

    // Stop → Start, then update to another tag: the same address, the data kept.
    await webui.status.getByRole('button', { name: 'Stop' }).click()
    await expect(webui.state).toHaveText('Stopped')
    await expect(webui.openLink).toHaveCount(0)
    await webui.status.getByRole('button', { name: 'Start' }).click()
    await expect(webui.state).toHaveText('Running', { timeout: 30_000 })
    await webui.status.getByLabel('New tag').fill('v0.6.33')
    await webui.status.getByRole('button', { name: 'Update (keeps data)' }).click()
    await expect(webui.status).toContainText('ghcr.io/open-webui/open-webui:v0.6.33', { timeout: 30_000 })
    await expect(webui.state).toHaveText('Running', { timeout: 30_000 })
    await expect(webui.openLink).toHaveAttribute('href', url)

    const label = await webui.delete(true)
    expect(label).toMatch(/inferadmin-open-webui-data \(\d+(\.\d)? (B|KiB|MiB)\)/)
    await expect(webui.state).toHaveText('Not deployed')
    await expect(webui.openLink).toHaveCount(0)
    await expect
      .poll(() =>
        docker
          .getVolume(VOLUME)
          .inspect()
          .then(
            () => true,
            () => false,
          ),
      )
      .toBe(false)
  })

  test('with Docker not reachable the page says so, with the fix, and offers no Open link', async ({ page }) => {
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-e2e-webui-nodocker-'))
    writeFileSync(join(home, 'settings.json'), JSON.stringify({ dockerSocket: 'unix:///nonexistent/inferadmin-e2e/docker.sock' }))
    const other = await startServer({ home })
    try {
      const app = new AppShell(page)
      await app.open(other)
      const webui = new WebuiPage(app)
      await webui.open()
      await expect(webui.state).toHaveText('Docker not reachable')
      const alert = page.getByRole('alert').filter({ hasText: 'Docker not reachable' })
      await expect(alert).toContainText('check the Docker endpoint in Settings')
      await expect(webui.openLink).toHaveCount(0)
      await expect(webui.deployForm).toHaveCount(0)
    } finally {
      await other.stop()
    }
  })
})
