import { PROFILES } from '../sim/gpus/profiles.js'
import { AppShell } from './pages/app-shell'
import { Toasts } from './pages/toasts'
import { expect, RestApi, test } from './support/fixtures'
import type { RunningServer } from './support/server'
import { type SimServer, simServer } from './support/sim-server'

// Issue #17 point 4: the events of the desktop notifications reach the web UI over the event stream, as toasts.
// Its own server (a failed pull must not leave anything in the shared one) on the simulated workstation (test/sim).
let simCtx: SimServer | undefined
let sim: SimServer['sim']
let server: RunningServer
let model: string

test.describe('Notifications in the web UI', () => {
  test.describe.configure({ timeout: 240_000 })

  test.beforeAll(async () => {
    simCtx = await simServer('notify', { listenInterface: '127.0.0.1', gatewayEnabled: false })
    ;({ sim, server, model } = simCtx)
  })

  test.afterAll(async () => {
    await simCtx?.stop()
  })

  test('a model becoming ready shows a toast whose Open action goes to Deployments', async ({ page, request }) => {
    const rest = new RestApi(request, server)
    const made = await rest.post<{ definition: { id: string } }>('/deployments', {
      name: 'e2e-notify',
      model: { repo: model },
      image: `${sim.env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
      gpus: [PROFILES.default!.gpus[1]!.uuid],
      env: { INFERADMIN_SIM_SPEED: '4' },
      args: { '--gpu-memory-utilization': 0.5 },
    })
    try {
      const app = new AppShell(page)
      await app.open(server)
      await app.goTo('Models')
      await rest.post(`/deployments/${made.definition.id}/start`, {})
      const toasts = new Toasts(page)
      const ready = toasts.withTitle('e2e-notify is ready')
      await expect(ready).toBeVisible({ timeout: 60_000 })
      await expect(toasts.description(ready)).toHaveText('It is serving; open it from the Deployments page.')
      await toasts.action(ready, 'Open').click()
      await expect(app.heading('Deployments')).toBeVisible()
      expect(new URL(page.url()).hash).toBe('#/deployments')
    } finally {
      await rest.post(`/deployments/${made.definition.id}/stop`, {}).catch(() => undefined)
      await rest.delete(`/deployments/${made.definition.id}`).catch(() => undefined)
    }
  })

  test('a failed download shows an error toast that says why', async ({ page, request }) => {
    const hub = process.env.HF_ENDPOINT
    if (!hub) throw new Error('global setup did not start the Hub stand-in')
    const rest = new RestApi(request, server)
    // Every copy of the first shard arrives corrupt: the pull gives up after the second checksum mismatch.
    const fault = await fetch(`${hub}/__admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'corrupt', route: 'cdn', match: 'model-00001', at: 1000, count: 10 }),
    })
    expect(fault.ok).toBe(true)
    try {
      const app = new AppShell(page)
      await app.open(server)
      await rest.post('/models/pull', { repo: 'inferadmin-sim/tiny-chat' })
      const toasts = new Toasts(page)
      const failed = toasts.withTitle('Download failed: inferadmin-sim/tiny-chat')
      await expect(failed).toBeVisible({ timeout: 60_000 })
      await expect(toasts.description(failed)).toContainText('the checksum did not match twice')
      await toasts.action(failed, 'Open').click()
      await expect(app.heading('Models')).toBeVisible()
    } finally {
      await fetch(`${hub}/__admin/faults`, { method: 'DELETE' })
    }
  })

  test('Settings → Notifications: a toggle per kind, and browser notifications once the browser allows them', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    await app.goTo('Settings')
    await expect(page.getByLabel('Model ready or failed to start')).toBeChecked()
    await expect(page.getByLabel('Model unloaded or stopped')).not.toBeChecked()
    await expect(page.getByLabel('Start at login')).not.toBeChecked()
    const browser = page.getByTestId('browser-notifications')
    await expect(browser.getByRole('button', { name: 'Show as browser notifications' })).toBeVisible()
    await page.context().grantPermissions(['notifications'])
    await page.reload()
    await expect(browser).toHaveAttribute('data-state', 'granted')
    await expect(browser).toContainText('Allowed')
  })
})
