import { createServer, type Server } from 'node:net'
import { AppShell } from './pages/app-shell'
import { DeploymentsPage } from './pages/deployments-page'
import { GatewayPage } from './pages/gateway-page'
import { SettingsPage } from './pages/settings-page'
import { expect, RestApi, test } from './support/fixtures'
import type { RunningServer } from './support/server'
import { type SimServer, simServer } from './support/sim-server'

// Against the simulated workstation (test/sim): this spec's own server, its gateway on a free port of 127.0.0.1
// (8000 may be taken on the machine running the tests), one on-demand deployment of a seeded chat model.
let simCtx: SimServer | undefined
let sim: SimServer['sim']
let server: RunningServer
let model: string
let gatewayPort: number

/** A port nothing listens on (the OS picks it, then it is released), or the listening server that holds one. */
function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => resolve(s))
  })
}
const portOf = (s: Server): number => (s.address() as { port: number }).port
const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()))
async function freePort(): Promise<number> {
  const s = await listenOnFreePort()
  const port = portOf(s)
  await close(s)
  return port
}

test.describe('Gateway', () => {
  test.describe.configure({ timeout: 240_000 })

  test.beforeAll(async () => {
    gatewayPort = await freePort()
    simCtx = await simServer('gateway', { gpuRefreshMs: 500, listenInterface: '127.0.0.1', gatewayPort })
    ;({ sim, server, model } = simCtx)
  })

  test.afterAll(async () => {
    await simCtx?.stop()
  })

  test('the Gateway page shows its URL, who needs a key, and examples that copy', async ({ page }) => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    const app = new AppShell(page)
    await app.open(server)
    const gateway = new GatewayPage(app)
    await gateway.open()
    const url = `http://127.0.0.1:${gatewayPort}/v1`
    await expect(gateway.url).toHaveText(url)
    await expect(gateway.endpoint.getByTestId('gateway-state')).toHaveText('Listening')
    await expect(gateway.keyRule).toContainText('From this machine no key is needed')
    await expect(gateway.keyRule).toContainText('From other machines and from containers a key is always needed')

    await expect(gateway.example('curl')).toContainText(`curl --max-time 900 '${url}/chat/completions'`)
    await gateway.showExample('Python')
    await expect(gateway.example('Python')).toContainText(`base_url="${url}",`)
    await expect(gateway.example('Python')).toContainText('# a key from below (needed from other machines)')
    await gateway.endpoint.getByRole('button', { name: 'Copy example' }).click()
    await expect(page.getByText('Python example copied')).toBeVisible()
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toContain(`base_url="${url}",`)
    await gateway.showExample('JavaScript')
    await expect(gateway.example('JavaScript')).toContainText(`baseURL: "${url}",`)
    await expect(gateway.example('JavaScript')).toContainText('timeout: 900000,')
  })

  test('an API key is shown once, listed by name with its limit, and gone once revoked', async ({ page, request }) => {
    const rest = new RestApi(request, server)
    const app = new AppShell(page)
    await app.open(server)
    const gateway = new GatewayPage(app)
    await gateway.open()

    const key = await gateway.createKey('e2e-laptop', 30)
    expect(key).toMatch(/^iagw-\S{20,}$/)
    await expect(gateway.newKeyDialog).toContainText('you will not see it again')
    await gateway.newKeyDialog.getByRole('button', { name: 'I have copied it' }).click()
    await expect(gateway.newKeyDialog).toBeHidden()
    // Shown once: the page no longer holds it anywhere, only its first characters.
    expect(await page.content()).not.toContain(key)
    const row = gateway.keyRow('e2e-laptop')
    await expect(row).toContainText('30 / min')
    const prefix = ((await row.locator('td').nth(1).textContent()) ?? '').replace(/…/g, '').trim()
    expect(prefix.length).toBeGreaterThan(4)
    expect(key.startsWith(prefix)).toBe(true)

    // With keys required from this machine too (Settings), the key is the way in; the page says so at once.
    await rest.put('/settings', { gatewayKeyOnLoopback: true })
    try {
      await expect(gateway.keyRule).toContainText('Every request needs an API key, from this machine too')
      const models = (bearer?: string) =>
        fetch(`http://127.0.0.1:${gatewayPort}/v1/models`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} })
      expect((await models(key)).status).toBe(200)
      expect((await models()).status).toBe(401)

      await row.getByRole('button', { name: 'Revoke e2e-laptop' }).click()
      const confirm = page.getByRole('dialog', { name: 'Revoke e2e-laptop?' })
      await expect(confirm).toContainText('refused at once')
      await confirm.getByRole('button', { name: 'Revoke key' }).click()
      await expect(confirm).toBeHidden()
      await expect(row).toHaveCount(0)
      expect((await models(key)).status).toBe(401)
    } finally {
      await rest.put('/settings', { gatewayKeyOnLoopback: false })
    }
    const status = await rest.get<{ keys: { name: string }[] }>('/gateway')
    expect(status.keys.map((k) => k.name)).not.toContain('e2e-laptop')
  })

  test('the serve mode saves in the deployment dialog and the card says it', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const deployments = new DeploymentsPage(app)
    await deployments.open()
    await deployments.create({
      name: 'e2e-gw',
      image: `${sim.env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
      gpu: /^GPU 1 /,
      env: 'INFERADMIN_SIM_SPEED=2',
      flags: {},
    })
    const card = deployments.card('e2e-gw')
    // New definitions are served on demand, unloading after Settings' default idle time.
    await expect(card.getByTestId('serve-mode')).toHaveText('On demand · unloads after 15 min idle')

    const edit = page.getByRole('dialog', { name: 'Edit e2e-gw' })
    await card.getByRole('button', { name: 'Edit' }).click()
    await edit.getByLabel('Serve', { exact: true }).selectOption('Off')
    await expect(edit.getByTestId('serve-help')).toContainText('Not served by the gateway')
    await edit.getByRole('button', { name: 'Save' }).click()
    await expect(edit).toBeHidden()
    await expect(card.getByTestId('serve-mode')).toHaveText('Off')

    await card.getByRole('button', { name: 'Edit' }).click()
    await edit.getByLabel('Serve', { exact: true }).selectOption('On demand')
    await edit.getByLabel('Idle minutes', { exact: true }).fill('soon')
    await edit.getByLabel('Other names', { exact: true }).fill('e2e-chat, e2e-small')
    await edit.getByRole('button', { name: 'Save' }).click()
    await expect(edit.getByRole('alert').first()).toContainText('whole minutes from 0 (never unload)')
    await edit.getByLabel('Idle minutes', { exact: true }).fill('5')
    await edit.getByRole('button', { name: 'Save' }).click()
    await expect(edit).toBeHidden()
    await expect(card.getByTestId('serve-mode')).toHaveText('On demand · unloads after 5 min idle')

    const gateway = new GatewayPage(app)
    await gateway.open()
    await expect(gateway.model(model)).toContainText('also: e2e-chat, e2e-small')
  })

  test('a cold model loads and unloads from its row', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const gateway = new GatewayPage(app)
    await gateway.open()
    await expect(gateway.modelState(model)).toHaveText('Cold')
    await gateway
      .model(model)
      .getByRole('button', { name: `Load ${model}` })
      .click()
    await expect(gateway.modelState(model)).toHaveText('Loaded', { timeout: 60_000 })
    await expect(gateway.model(model).getByTestId('unload-at')).toHaveText(/^in \d/)
    await gateway
      .model(model)
      .getByRole('button', { name: `Unload ${model}` })
      .click()
    await expect(gateway.modelState(model)).toHaveText('Cold', { timeout: 60_000 })
  })

  test('a request for a cold model starts it, is answered, and shows in the log', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const gateway = new GatewayPage(app)
    await gateway.open()
    await expect(gateway.modelState(model)).toHaveText('Cold')

    const res = await fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'e2e-chat', messages: [{ role: 'user', content: 'Hello!' }] }),
      signal: AbortSignal.timeout(120_000),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { choices: { message: { content: string } }[] }
    expect(body.choices[0]?.message.content).toMatch(/\S/)

    await expect(gateway.modelState(model)).toHaveText('Loaded')
    const entry = gateway.log.getByRole('row').filter({ hasText: 'POST /v1/chat/completions' }).first()
    await expect(entry).toContainText('e2e-chat')
    await expect(entry).toContainText(`→ ${model}`)
    await expect(entry).toContainText('200')
    await expect(entry).toContainText('this machine (no key)')
    await expect(entry).toContainText(/yes \(held [\d.]+ (ms|s)\)/)
    await expect(gateway.model(model)).not.toContainText('never')
  })

  test('the gateway port saves in Settings; a port in use is shown with its fix, a free one with the URL', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const settings = new SettingsPage(app)
    const gateway = new GatewayPage(app)
    const taken = await listenOnFreePort()
    try {
      await settings.open()
      await settings.field('Gateway port').fill(String(portOf(taken)))
      await settings.save()
      await settings.expectSaved()
      await gateway.open()
      await expect(gateway.error).toContainText(`Port ${portOf(taken)} is in use`)
      await expect(gateway.error).toContainText('choose another gateway port in Settings')
      await expect(gateway.endpoint.getByTestId('gateway-state')).toHaveText('Not listening')
    } finally {
      await close(taken)
    }
    const next = await freePort()
    await settings.open()
    await settings.field('Gateway port').fill(String(next))
    await settings.save()
    await settings.expectSaved()
    await gateway.open()
    await expect(gateway.url).toHaveText(`http://127.0.0.1:${next}/v1`)
    await expect(gateway.error).toHaveCount(0)
  })
})
