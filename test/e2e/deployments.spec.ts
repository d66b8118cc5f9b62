import { networkInterfaces } from 'node:os'
import { PROFILES } from '../sim/gpus/profiles.js'
import { AppShell } from './pages/app-shell'
import { DeploymentsPage } from './pages/deployments-page'
import { expect, RestApi, test } from './support/fixtures'
import type { RunningServer } from './support/server'
import { type SimServer, simServer } from './support/sim-server'

// Against the simulated workstation (test/sim): a private dockerd with the stand-in GPU hook and the
// simulated vLLM images; this spec's own server uses that engine and its stand-in nvidia-smi.
let simCtx: SimServer | undefined
let sim: SimServer['sim']
let server: RunningServer
let model: string

test.describe('Deployments', () => {
  test.describe.configure({ timeout: 240_000 })

  test.beforeAll(async () => {
    simCtx = await simServer('deploy', { gpuRefreshMs: 500, listenInterface: '127.0.0.1', gatewayEnabled: false })
    ;({ sim, server, model } = simCtx)
  })

  test.afterAll(async () => {
    await simCtx?.stop()
  })

  test('create a deployment in the UI, watch it become ready, prompt it in Try it, stop it', async ({ page }) => {
    test.setTimeout(120_000)
    const app = new AppShell(page)
    await app.open(server)
    const deployments = new DeploymentsPage(app)
    await deployments.open()
    const image = `${sim.env.INFERADMIN_SIM_VLLM_IMAGE}:latest`
    await deployments.create({
      name: 'e2e-chat',
      image,
      gpu: /^GPU 1 /,
      env: 'INFERADMIN_SIM_SPEED=4',
      flags: { '--gpu-memory-utilization': '0.5' },
    })

    const card = deployments.card('e2e-chat')
    await expect(card).toBeVisible()
    await expect(deployments.state('e2e-chat')).toHaveText('Stopped')

    // One source of truth for the image (#14 point 2): its repository is not the one in Settings (vllm/vllm-openai),
    // so the version picker shows no tag as chosen and says whose versions it lists.
    await card.getByRole('button', { name: 'Edit' }).click()
    const edit = page.getByRole('dialog')
    await expect(edit.getByLabel('Image', { exact: true })).toHaveValue(image)
    await expect(edit.getByTestId('foreign-image')).toContainText(
      `The image is from ${image.replace(/:latest$/, '')}, not from the vLLM repository in Settings (vllm/vllm-openai).`,
    )
    await expect(edit.getByRole('combobox', { name: 'vLLM version' })).not.toContainText('latest')
    await page.keyboard.press('Escape')
    await expect(edit).toBeHidden()

    await card.getByRole('button', { name: 'Start' }).click()
    await expect(deployments.state('e2e-chat')).toHaveText('Ready', { timeout: 60_000 })
    await expect(card.getByTestId('endpoint')).toHaveText(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    await expect(card.getByTestId('reach')).toHaveText('Only from this machine (published on 127.0.0.1).')
    await expect(card).toContainText(`GPU 1 · ${PROFILES.default!.gpus[1]!.name}`)
    const curl = card.getByLabel('curl example', { exact: true })
    await expect(curl).toContainText(`"model":"${model}"`)
    // The snippet has its own copy button; what lands on the clipboard is the command shown.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await card.getByRole('button', { name: 'Copy curl command' }).click()
    await expect(page.getByText('curl command copied')).toBeVisible()
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(await curl.innerText())

    // The Dashboard's Serving card lists it with its endpoint.
    await app.goTo('Dashboard')
    const serving = page.getByRole('group', { name: 'Serving' })
    await expect(serving).toContainText('1 of 1 deployment ready')
    await expect(serving.getByRole('list', { name: 'Endpoints' })).toContainText(/e2e-chat\s*http:\/\/127\.0\.0\.1:\d+\/v1/)
    await deployments.open()

    const tryIt = card.getByRole('region', { name: 'Try it' })
    await tryIt.getByLabel('Try it', { exact: true }).fill('Say something')
    await tryIt.getByRole('button', { name: 'Send' }).click()
    await expect(tryIt.getByRole('log', { name: 'Reply' })).toHaveText(/\S{3,}/)
    await expect(tryIt.getByRole('button', { name: 'Send' })).toBeEnabled({ timeout: 20_000 })
    // The reply's figures, measured from the stream: TTFT, speed, tokens, latency.
    const figures = tryIt.getByLabel('Reply figures')
    await expect(figures).toHaveAttribute('data-done', 'true')
    await expect(tryIt.getByTestId('figure-ttft')).toHaveText(/^\d+ ms$|^\d+\.\d+ s$/)
    await expect(tryIt.getByTestId('figure-speed')).toHaveText(/^\d+(\.\d)? tokens\/s$/)
    await expect(tryIt.getByTestId('figure-tokens')).toHaveText(/^[1-9]\d*$/)
    await expect(tryIt.getByTestId('figure-latency')).toHaveText(/^\d+ ms$|^\d+\.\d+ s$/)

    await card.getByRole('button', { name: 'Stop' }).click()
    await expect(deployments.state('e2e-chat')).toHaveText('Stopped', { timeout: 60_000 })
    await expect(card.getByRole('button', { name: 'Start' })).toBeVisible()

    // Delete asks in the one confirmation dialog: the definition and container go, the model and image stay.
    await card.getByRole('button', { name: 'Delete…' }).click()
    const confirm = page.getByRole('dialog', { name: 'Delete the deployment “e2e-chat”?' })
    await expect(confirm.getByRole('region', { name: 'Removed' })).toContainText(`Its definition: model ${model}, 1 GPU`)
    await expect(confirm.getByRole('region', { name: 'Kept' })).toContainText(`The model ${model} in the model store`)
    await expect(confirm.getByRole('region', { name: 'Kept' })).toContainText(`The vLLM image ${image}`)
    await confirm.getByRole('button', { name: 'Delete deployment' }).click()
    await expect(confirm).toBeHidden()
    await expect(card).toBeHidden({ timeout: 30_000 })
  })

  test('a deployment published on every interface says plainly that the network reaches it, and where', async ({ page, request }) => {
    test.setTimeout(120_000)
    const rest = new RestApi(request, server)
    await rest.put('/settings', { listenInterface: '0.0.0.0' })
    // Its own deployment (the test above deletes its one at the end).
    const made = await rest.post<{ definition: { id: string } }>('/deployments', {
      name: 'e2e-lan',
      model: { repo: model },
      image: `${sim.env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
      gpus: [PROFILES.default!.gpus[1]!.uuid],
      env: { INFERADMIN_SIM_SPEED: '4' },
      args: { '--gpu-memory-utilization': 0.5 },
    })
    try {
      const app = new AppShell(page)
      await app.open(server)
      const deployments = new DeploymentsPage(app)
      await deployments.open()
      const card = deployments.card('e2e-lan')
      await card.getByRole('button', { name: 'Start' }).click()
      await expect(deployments.state('e2e-lan')).toHaveText('Ready', { timeout: 60_000 })
      const port = /:(\d+)\/v1$/.exec((await card.getByTestId('endpoint').textContent()) ?? '')?.[1]
      // This machine's LAN address (its first real interface; container bridges are no network people are on).
      const lan = Object.entries(networkInterfaces())
        .filter(([name]) => !/^(docker|br-|veth|infsim)/.test(name))
        .flatMap(([, l]) => l ?? [])
        .find((n) => !n.internal && n.family === 'IPv4')
      const reach = card.getByTestId('reach')
      await expect(reach).toContainText('Reachable from your network (published on 0.0.0.0): http://')
      if (lan) await expect(reach).toContainText(`http://${lan.address}:${port}/v1`)
      await expect(reach).not.toContainText('10.213.') // the simulation's own bridge
      await card.getByRole('button', { name: 'Stop' }).click()
      await expect(deployments.state('e2e-lan')).toHaveText('Stopped', { timeout: 60_000 })
    } finally {
      await rest.put('/settings', { listenInterface: '127.0.0.1' })
      await rest.delete(`/deployments/${made.definition.id}`)
    }
  })

  test('memory, placement and sleep mode fields are saved and shown again when the dialog reopens (#16)', async ({ page, request }) => {
    const app = new AppShell(page)
    await app.open(server)
    const deployments = new DeploymentsPage(app)
    await deployments.open()
    const image = `${sim.env.INFERADMIN_SIM_VLLM_IMAGE}:latest`
    await deployments.newButton.click()
    const dialog = deployments.dialog
    await dialog.getByLabel('Name', { exact: true }).fill('e2e-planned')
    await dialog.getByLabel('Image', { exact: true }).fill(image)
    await dialog.getByRole('radio', { name: 'Any', exact: true }).check()
    await expect(dialog.getByRole('checkbox', { name: /^GPU 0 / })).toBeDisabled()
    await dialog.getByLabel('Number of GPUs', { exact: true }).fill('1')
    await expect(dialog.getByRole('radio', { name: /^Auto/ })).toBeChecked()
    // The defaults are shown as placeholders; a count that is not a number is refused naming the field and the range.
    await expect(dialog.getByLabel('Context tokens', { exact: true })).toHaveAttribute('placeholder', /8192/)
    await expect(dialog.getByLabel('Sequences', { exact: true })).toHaveAttribute('placeholder', '4 (default)')
    await dialog.getByLabel('Context tokens', { exact: true }).fill('16k')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await expect(dialog.getByRole('alert').first()).toContainText('Context tokens: a whole number from 16 to 10000000')
    await dialog.getByLabel('Context tokens', { exact: true }).fill('16384')
    await dialog.getByLabel('Sequences', { exact: true }).fill('2')
    await dialog.getByLabel('Sleep mode', { exact: true }).selectOption('auto')
    await expect(dialog.getByTestId('sleep-help')).toContainText('Needs the container published on loopback')
    await expect(dialog.getByRole('region', { name: 'vLLM arguments' }).getByText(`from ${image}`)).toBeVisible({ timeout: 20_000 })
    await dialog.getByRole('button', { name: 'Save' }).click()
    await expect(dialog).toBeHidden()

    const card = deployments.card('e2e-planned')
    await card.getByRole('button', { name: 'Edit' }).click()
    const edit = page.getByRole('dialog', { name: 'Edit e2e-planned' })
    await expect(edit.getByRole('radio', { name: 'Any', exact: true })).toBeChecked()
    await expect(edit.getByLabel('Number of GPUs', { exact: true })).toHaveValue('1')
    await expect(edit.getByRole('radio', { name: /^Auto/ })).toBeChecked()
    await expect(edit.getByLabel('Context tokens', { exact: true })).toHaveValue('16384')
    await expect(edit.getByLabel('Sequences', { exact: true })).toHaveValue('2')
    await expect(edit.getByLabel('Sleep mode', { exact: true })).toHaveValue('auto')
    await page.keyboard.press('Escape')
    await expect(edit).toBeHidden()
    const rest = new RestApi(request, server)
    const all =
      await rest.get<{ definition: { id: string; name: string; gpus: string[]; placement?: unknown; memory?: unknown } }[]>('/deployments')
    const def = all.find((d) => d.definition.name === 'e2e-planned')!.definition
    expect(def).toMatchObject({
      gpus: [],
      placement: { gpus: 'any', count: 1 },
      memory: { mode: 'auto', contextTokens: 16384, sequences: 2 },
    })
    await rest.delete(`/deployments/${def.id}`)
  })

  test('a host port something listens on is refused at Save, naming the holder (#14 point 8)', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const deployments = new DeploymentsPage(app)
    await deployments.open()
    const own = new URL(server.url).port
    await deployments.newButton.click()
    const dialog = deployments.dialog
    await dialog.getByLabel('Name', { exact: true }).fill('clash')
    await dialog.getByLabel('Image', { exact: true }).fill(`${sim.env.INFERADMIN_SIM_VLLM_IMAGE}:latest`)
    await dialog.getByLabel('Host port', { exact: true }).fill(own)
    await dialog.getByRole('button', { name: 'Save' }).click()
    await expect(dialog).toContainText(`Port ${own} is in use on 127.0.0.1 (by InferAdmin itself).`)
    await page.keyboard.press('Escape')
    await expect(deployments.card('clash')).toHaveCount(0)
  })
})
