import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { readRegistryState, pushTags, setRegistryFaults, type RegistryState } from '../sim/registry/registry.js'
import { down, up } from '../sim/sim.js'
import { AppShell } from './pages/app-shell'
import { EngineVersionsCard } from './pages/engine-versions'
import { expect, test } from './support/fixtures'
import { type RunningServer, startServer } from './support/server'

// Pull from the sim registry in the UI: layer progress while a throttled download runs, then "pulled".
let sim: Awaited<ReturnType<typeof up>>
let docker: Docker
let state: RegistryState
let server: RunningServer
let home: string
const repo = `inferadmin-e2e/vllm-${randomBytes(3).toString('hex')}`

test.describe('vLLM image pull', () => {
  test.describe.configure({ timeout: 180_000 })

  test.beforeAll(async () => {
    sim = await up({ engine: 'private' })
    docker = new Docker({ socketPath: sim.env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
    state = readRegistryState(sim.env.INFERADMIN_SIM_DIR!)!
    // an image with its own 16 MiB layer, pushed as v0.30.0 and removed locally so the pull downloads it
    const ctx = mkdtempSync(join(tmpdir(), 'inferadmin-e2e-img-'))
    writeFileSync(join(ctx, 'payload.bin'), randomBytes(16 * 1024 * 1024))
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY payload.bin /payload.bin\n')
    const stream = await docker.buildImage({ context: ctx, src: ['Dockerfile', 'payload.bin'] }, { t: `${repo}:v0.30.0` })
    await new Promise((res, rej) => docker.modem.followProgress(stream, (err) => (err ? rej(err) : res(null))))
    rmSync(ctx, { recursive: true, force: true })
    await pushTags(docker, { registry: sim.env.INFERADMIN_SIM_REGISTRY!, repository: repo, tags: { 'v0.30.0': 'v0.30.0' } })
    await docker.getImage(`${repo}:v0.30.0`).remove({ force: true })
    home = mkdtempSync(join(tmpdir(), 'inferadmin-e2e-pull-'))
    writeFileSync(join(home, 'settings.json'), JSON.stringify({ vllmImageRepository: `${sim.env.INFERADMIN_SIM_REGISTRY}/${repo}` }))
    server = await startServer({ home, env: { DOCKER_HOST: sim.env.DOCKER_HOST } })
  })

  test.afterAll(async () => {
    await server?.stop()
    if (state) await setRegistryFaults(state, { throttleBps: 0 })
    if (docker)
      await docker
        .getImage(`${sim.env.INFERADMIN_SIM_REGISTRY}/${repo}:v0.30.0`)
        .remove({ force: true })
        .catch(() => undefined)
    if (sim?.startedEngine) await down()
  })

  test('shows layer progress while pulling, then the tag as pulled', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const versions = new EngineVersionsCard(app)
    await versions.open()
    const row = versions.row('v0.30.0')
    await expect(row).toBeVisible()
    await setRegistryFaults(state, { throttleBps: 2 * 1024 * 1024 })
    try {
      await row.getByRole('button', { name: 'Pull v0.30.0' }).click()
      const progress = row.getByRole('progressbar', { name: 'Pull progress of v0.30.0' })
      await expect(progress).toBeVisible()
      await expect(row).toContainText(/\d+(\.\d+)? MiB \/ 16\.0 MiB/)
      await expect(row.getByRole('button', { name: 'Cancel pull of v0.30.0' })).toBeVisible()
    } finally {
      await setRegistryFaults(state, { throttleBps: 0 })
    }
    await expect(row.getByText('pulled', { exact: true })).toBeVisible({ timeout: 30_000 })

    // Removing it asks first, in the same confirmation as every delete: what goes (the image and its size), what stays.
    await row.getByRole('button', { name: 'Remove v0.30.0' }).click()
    const confirm = page.getByRole('dialog', { name: 'Remove the vLLM image v0.30.0?' })
    await expect(confirm.getByRole('region', { name: 'Removed' })).toContainText(`${repo}:v0.30.0 (16.0 MiB`)
    await expect(confirm.getByRole('region', { name: 'Kept' })).toContainText('Deployments and their settings')
    await confirm.getByRole('button', { name: 'Cancel' }).click()
    await expect(confirm).toBeHidden()
    await expect(row.getByText('pulled', { exact: true })).toBeVisible()
    await row.getByRole('button', { name: 'Remove v0.30.0' }).click()
    await confirm.getByRole('button', { name: /^Remove 16\.0 MiB$/ }).click()
    await expect(confirm).toBeHidden()
    await expect(row.getByRole('button', { name: 'Pull v0.30.0' })).toBeVisible()
  })
})
