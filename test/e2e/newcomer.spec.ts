import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import type { Deployment } from '../../src/shared/contract/deployments'
import type { WebuiStatus } from '../../src/shared/contract/webui'
import { prepareDemoHome } from '../sim/demo-setup.js'
import { freePort } from '../sim/ports.js'
import { down, up } from '../sim/sim.js'
import { AppShell } from './pages/app-shell'
import { DeploymentsPage } from './pages/deployments-page'
import { ModelsPage } from './pages/models-page'
import { WebuiPage } from './pages/webui-page'
import { expect, RestApi, test } from './support/fixtures'
import { type RunningServer, startServer } from './support/server'

// Issue #14's acceptance: a newcomer's first hour on `npm run demo`, every default untouched. The home is the one
// demo-setup.js prepares for the demo (same function); the one setting added is Open WebUI's port, a free one, so
// that this walk does not depend on port 3000 being free on the machine that runs it.
let sim: Awaited<ReturnType<typeof up>>
let docker: Docker
let server: RunningServer
const PULLED = 'HuggingFaceTB/SmolLM2-135M-Instruct' // a downloadable catalogue model the demo's store lacks
const NAME = 'my-first-model'

async function clean(): Promise<void> {
  for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label: ['inferadmin.managed=true'] }) }))
    await docker.getContainer(c.Id).remove({ force: true })
  await docker
    .getVolume('inferadmin-open-webui-data')
    .remove()
    .catch(() => undefined)
}

test.describe('Newcomer', () => {
  test.beforeAll(async () => {
    test.setTimeout(300_000) // a first `up` builds the images and fills the registry
    sim = await up({ engine: 'private' })
    docker = new Docker({ socketPath: sim.env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
    await clean()
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-e2e-newcomer-'))
    await prepareDemoHome(sim, home, { settings: { webuiPort: await freePort() } })
    server = await startServer({
      home,
      env: { ...sim.env, PATH: `${sim.env.INFERADMIN_SIM_BIN}:${process.env.PATH ?? ''}` },
    })
  })

  test.afterAll(async () => {
    await server?.stop()
    if (sim) {
      await clean()
      if (sim.startedEngine) await down()
    }
  })

  test('search → pull → new deployment with the defaults → Ready → Try it → Open WebUI → delete all', async ({ page, request }) => {
    test.setTimeout(420_000)
    const rest = new RestApi(request, server)
    const app = new AppShell(page)
    await app.open(server)

    // Models → Pull a model: search the Hub, pull with the dialog's default file selection.
    const models = new ModelsPage(app)
    await models.open()
    await models.search('SmolLM2')
    await expect(models.result(PULLED)).toBeVisible()
    await models.select(PULLED)
    await expect(models.dialog.getByTestId('pull-summary')).toContainText('to download')
    await models.downloadButton.click()
    await expect(models.dialog).toBeHidden()
    await expect(models.model(PULLED)).toBeVisible({ timeout: 120_000 })
    await expect(models.download(PULLED)).toBeHidden()

    // Deployments → New deployment: nothing changed but the name, which has no default.
    const deployments = new DeploymentsPage(app)
    await deployments.open()
    await expect(page.getByText('No deployments yet')).toBeVisible()
    await deployments.newButton.click()
    await expect(deployments.dialog).toBeVisible()
    const modelField = deployments.dialog.getByLabel('Model', { exact: true })
    await expect(modelField).toHaveValue(/\S/)
    const model = await modelField.inputValue()
    await deployments.dialog.getByLabel('Name', { exact: true }).fill(NAME)
    await deployments.dialog.getByRole('button', { name: 'Save' }).click()
    await expect(deployments.dialog).toBeHidden()

    const card = deployments.card(NAME)
    await card.getByRole('button', { name: 'Start' }).click()
    await expect(deployments.state(NAME)).toHaveText('Ready', { timeout: 120_000 })
    await expect(card.getByTestId('endpoint')).toHaveText(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)

    // Try it with its proposed prompt: the reply streams in, then its figures.
    const tryIt = card.getByRole('region', { name: 'Try it' })
    await tryIt.getByRole('button', { name: 'Send' }).click()
    await expect(tryIt.getByRole('log', { name: 'Reply' })).toHaveText(/\S{3,}/)
    await expect(tryIt.getByLabel('Reply figures')).toHaveAttribute('data-done', 'true', { timeout: 60_000 })
    await expect(tryIt.getByRole('alert')).toHaveCount(0)
    await expect(tryIt.getByTestId('figure-ttft')).toHaveText(/^\d+ ms$|^\d+\.\d+ s$/)
    await expect(tryIt.getByTestId('figure-speed')).toHaveText(/^\d+(\.\d)? tokens\/s$/)
    await expect(tryIt.getByTestId('figure-tokens')).toHaveText(/^[1-9]\d*$/)
    await expect(tryIt.getByTestId('figure-latency')).toHaveText(/^\d+ ms$|^\d+\.\d+ s$/)

    // Open WebUI: deploy with the form as it comes; it runs, wired to the models.
    const webui = new WebuiPage(app)
    await webui.open()
    await expect(webui.state).toHaveText('Not deployed')
    await webui.deployForm.getByRole('button', { name: 'Deploy Open WebUI' }).click()
    await expect(webui.state).toHaveText('Running', { timeout: 120_000 })
    const url = (await webui.openLink.getAttribute('href')) ?? ''
    expect(await (await fetch(url)).text()).toContain('<title>Open WebUI</title>')
    // its one connection is InferAdmin's gateway, which serves every ready deployment under its model name
    await expect(webui.connections.getByTestId('sync-state')).toHaveText('In sync')
    await expect(webui.connections).toContainText(/InferAdmin gateway\s*http:\/\/host\.docker\.internal:\d+\/v1/)

    // Delete all: the deployment, Open WebUI with its data, every model; each through its confirmation.
    await deployments.open()
    await card.getByRole('button', { name: 'Delete…' }).click()
    const confirmDeployment = page.getByRole('dialog', { name: `Delete the deployment “${NAME}”?` })
    await expect(confirmDeployment.getByRole('region', { name: 'Kept' })).toContainText(`The model ${model} in the model store`)
    // still running: the one button says it stops it first
    await confirmDeployment.getByRole('button', { name: 'Stop and delete' }).click()
    await expect(confirmDeployment).toBeHidden()
    await expect(card).toBeHidden({ timeout: 60_000 })
    await expect(page.getByText('No deployments yet')).toBeVisible()

    await webui.open()
    await webui.delete(true)
    await expect(webui.state).toHaveText('Not deployed')

    await models.open()
    for (const repo of [PULLED, 'Qwen/Qwen3-0.6B', 'sentence-transformers/all-MiniLM-L6-v2']) {
      await models
        .model(repo)
        .getByRole('button', { name: `Delete ${repo}` })
        .click()
      const confirm = page.getByRole('dialog', { name: `Delete the model ${repo}?` })
      await expect(confirm.getByRole('region', { name: 'Removed' })).toContainText('on disk')
      await confirm.getByRole('button', { name: /^Delete / }).click()
      await expect(confirm).toBeHidden()
      await expect(models.model(repo)).toBeHidden()
    }
    await expect(page.getByText('No models yet')).toBeVisible()

    // The REST API agrees: nothing left, no container, no Open WebUI volume.
    expect(await rest.get<Deployment[]>('/deployments')).toEqual([])
    expect(await rest.get<unknown[]>('/models')).toEqual([])
    const status = await rest.get<WebuiStatus>('/webui')
    expect(status.state).toBe('absent')
    expect(status.volume.exists).toBe(false)
    expect(await docker.listContainers({ all: true, filters: JSON.stringify({ label: ['inferadmin.managed=true'] }) })).toEqual([])
  })
})
