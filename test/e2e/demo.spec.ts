import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { prepareDemoHome } from '../sim/demo-setup.js'
import { seedModel } from '../sim/seed.js'
import { down, up } from '../sim/sim.js'
import { AppShell } from './pages/app-shell'
import { DeploymentsPage } from './pages/deployments-page'
import { ModelsPage } from './pages/models-page'
import { expect, test } from './support/fixtures'
import { type RunningServer, startServer } from './support/server'

// `npm run demo` as a newcomer meets it: the home demo-setup.js prepares (the same function the demo calls), the
// simulated workstation's engine, registry and Hub, and nothing else configured.
let sim: Awaited<ReturnType<typeof up>>
let docker: Docker
let server: RunningServer
let home: string
let repository: string
const OLD_TAG = 'v0.12.0'

async function removeImage(ref: string): Promise<void> {
  await docker
    .getImage(ref)
    .remove({ force: true })
    .catch(() => undefined)
}

test.describe('Demo', () => {
  test.describe.configure({ timeout: 240_000 })

  test.beforeAll(async () => {
    test.setTimeout(300_000) // a first `up` builds the images and fills the registry
    sim = await up({ engine: 'private' })
    docker = new Docker({ socketPath: sim.env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
    home = mkdtempSync(join(tmpdir(), 'inferadmin-e2e-demo-'))
    repository = (await prepareDemoHome(sim, home)).vllmRepository
    await removeImage(`${repository}:${OLD_TAG}`) // left by an earlier run: "Pull now" must have something to pull
    server = await startServer({
      home,
      env: { ...sim.env, PATH: `${sim.env.INFERADMIN_SIM_BIN}:${process.env.PATH ?? ''}` },
    })
  })

  test.afterAll(async () => {
    await server?.stop()
    if (sim) {
      for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label: ['inferadmin.kind=vllm'] }) }))
        await docker.getContainer(c.Id).remove({ force: true })
      await removeImage(`${repository}:${OLD_TAG}`)
      if (sim.startedEngine) await down()
    }
  })

  test('the seeded store is the Hub copy: up to date, no false "Update available"; a failed check says why', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const models = new ModelsPage(app)
    await models.open()
    for (const repo of ['Qwen/Qwen3-0.6B', 'sentence-transformers/all-MiniLM-L6-v2']) {
      await expect(models.model(repo)).toContainText('Up to date')
      await expect(models.model(repo)).not.toContainText('Update available')
    }
    // a model the Hub does not have: the reason is text in the row, not only a tooltip
    await seedModel(join(home, 'models'), { kind: 'embed', repo: 'inferadmin-sim/tiny-embed' })
    await page.getByRole('button', { name: 'Check for updates' }).click()
    const orphan = models.model('inferadmin-sim/tiny-embed')
    await expect(orphan).toContainText('Check failed')
    await expect(orphan.getByTestId('update-error')).toBeVisible()
    await expect(orphan.getByTestId('update-error')).toContainText('Repository inferadmin-sim/tiny-embed was not found')
    await expect(orphan.getByTestId('update-error')).toContainText('Check the name')
  })

  test('a deployment with every default of the form starts, and the System page lists the vLLM versions', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const deployments = new DeploymentsPage(app)
    await deployments.open()
    await deployments.newButton.click()
    await expect(deployments.dialog).toBeVisible()
    await expect(deployments.dialog.getByLabel('Model', { exact: true })).toHaveValue('Qwen/Qwen3-0.6B')
    await expect(deployments.dialog.getByLabel('Image', { exact: true })).toHaveValue(`${repository}:latest`)
    await expect(deployments.dialog.getByTestId('image-pull')).toBeHidden()
    // one GPU, the one with the most free memory (GPU 0 drives the display)
    await expect(deployments.dialog.getByRole('checkbox', { name: /^GPU 1 / })).toBeChecked()
    await expect(deployments.dialog.getByRole('checkbox', { name: /^GPU 0 / })).not.toBeChecked()
    await deployments.dialog.getByLabel('Name', { exact: true }).fill('first')
    await deployments.dialog.getByRole('button', { name: 'Save' }).click()
    await expect(deployments.dialog).toBeHidden()

    const card = deployments.card('first')
    await card.getByRole('button', { name: 'Start' }).click()
    await expect(deployments.state('first')).toHaveText('Ready', { timeout: 90_000 })
    await card.getByRole('button', { name: 'Stop' }).click()
    await expect(deployments.state('first')).toHaveText('Stopped', { timeout: 60_000 })

    await app.goTo('System')
    await expect(page.getByText(/has no repository/)).toBeHidden()
    await expect(page.getByText(repository).first()).toBeVisible()
  })

  test('an image that is not pulled: "Pull now" in the dialog and on the failed card, then Start again', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const deployments = new DeploymentsPage(app)
    await deployments.open()
    const image = `${repository}:${OLD_TAG}`

    // the dialog says so as soon as the image is chosen
    await deployments.newButton.click()
    await deployments.dialog.getByLabel('Name', { exact: true }).fill('older')
    await deployments.dialog.getByLabel('Image', { exact: true }).fill(image)
    const offer = deployments.dialog.getByTestId('image-pull')
    await expect(offer).toContainText(`The image ${image} is not pulled yet.`)
    await expect(offer.getByRole('button', { name: 'Pull now' })).toBeVisible()
    await deployments.dialog.getByRole('button', { name: 'Save' }).click()
    await expect(deployments.dialog).toBeHidden()

    // starting it anyway fails; the failure offers the pull in place, then a new start
    const card = deployments.card('older')
    await card.getByRole('button', { name: 'Start' }).click()
    await expect(deployments.state('older')).toHaveText('Failed', { timeout: 60_000 })
    const why = card.getByRole('alert', { name: 'Why it failed' })
    await expect(why).toContainText('is not pulled')
    await why.getByRole('button', { name: 'Pull now' }).click()
    await expect(why).toContainText(`Pulled ${image}.`, { timeout: 120_000 })
    expect((await docker.getImage(image).inspect()).RepoTags).toContain(image)
    await why.getByRole('button', { name: 'Start again' }).click()
    await expect(deployments.state('older')).toHaveText('Ready', { timeout: 90_000 })
    await card.getByRole('button', { name: 'Stop' }).click()
    await expect(deployments.state('older')).toHaveText('Stopped', { timeout: 60_000 })
  })
})
