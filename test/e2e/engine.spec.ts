import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seedRegistry } from '../sim/registry/seed.js'
import { setRegistryFaults, startRegistry, stopRegistry, type RegistryState } from '../sim/registry/registry.js'
import { AppShell } from './pages/app-shell'
import { EngineVersionsCard } from './pages/engine-versions'
import { expect, test } from './support/fixtures'
import { type RunningServer, startServer } from './support/server'

// The System page's vLLM versions card against the Docker Hub API stand-in (over a real docker-registry seeded
// through the registry API; no Docker engine in the e2e run, so nothing shows as pulled).
let simDir: string
let state: RegistryState
let server: RunningServer

test.beforeAll(async () => {
  simDir = mkdtempSync(join(tmpdir(), 'inferadmin-e2e-registry-'))
  state = (await startRegistry({ simDir })).state
  const base = `http://127.0.0.1:${state.registryPort}`
  await seedRegistry(base, 'vllm/vllm-openai', {
    'v0.10.0': {},
    'v0.12.0': {},
    'v0.11.0': {},
    'v0.21.0': {},
    'v0.21.0-cu129': {},
    latest: { sameAs: 'v0.21.0' },
    nightly: {},
  })
  server = await startServer({
    env: { INFERADMIN_DOCKERHUB_API: `http://127.0.0.1:${state.hubPort}`, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
  })
})

test.afterAll(async () => {
  await server?.stop()
  if (simDir) {
    stopRegistry({ simDir })
    rmSync(simDir, { recursive: true, force: true })
  }
})

test.describe('vLLM versions', () => {
  test('lists releases newest first with latest and nightly apart; offline keeps the list with its age', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const versions = new EngineVersionsCard(app)
    await versions.open()
    await expect(versions.row('v0.21.0')).toBeVisible()
    expect(await versions.tags()).toEqual(['latest', 'nightly', 'v0.21.0', 'v0.12.0', 'v0.11.0', 'v0.10.0'])
    await expect(versions.row('v0.21.0')).toContainText('newest')
    await expect(versions.row('v0.21.0').getByRole('button', { name: 'Pull v0.21.0' })).toBeVisible()

    await setRegistryFaults(state, { down: true })
    try {
      await versions.refresh.click()
      await expect(versions.error).toContainText(/unreachable.*Showing the list from/)
      expect(await versions.tags()).toEqual(['latest', 'nightly', 'v0.21.0', 'v0.12.0', 'v0.11.0', 'v0.10.0'])
    } finally {
      await setRegistryFaults(state, { down: false })
    }
    await versions.refresh.click()
    await expect(versions.error).toHaveCount(0)
  })

  test('comparing v0.21.0 → v0.10.0 lists renamed flags and the arguments v0.10.0 would refuse', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const versions = new EngineVersionsCard(app)
    await versions.open()
    const compare = await versions.openCompare()
    await versions.choose(compare.from, 'v0.21.0')
    await versions.choose(compare.to, 'v0.10.0')
    await compare.args.fill('--max-model-len 8192 --enable-log-requests --runner generate')
    const diff = compare.diff('v0.21.0', 'v0.10.0')
    await expect(diff).toContainText('--enable-log-requests → --disable-log-requests')
    await expect(diff.getByRole('alert')).toContainText('v0.10.0 would refuse 2 of the given arguments')
    await expect(diff.getByRole('listitem')).toHaveText([
      /^--enable-log-requests: .*use --disable-log-requests instead/,
      /^--runner: .*use --task instead/,
    ])
  })

  test('comparing a version with itself says they take the same flags', async ({ page }) => {
    const app = new AppShell(page)
    await app.open(server)
    const versions = new EngineVersionsCard(app)
    await versions.open()
    const compare = await versions.openCompare()
    await versions.choose(compare.from, 'v0.12.0')
    await versions.choose(compare.to, 'v0.12.0')
    await expect(versions.card.getByTestId('flag-diff-same')).toHaveText(
      'v0.12.0 and v0.12.0 take the same flags; the given arguments work with both.',
    )
    await expect(compare.diff('v0.12.0', 'v0.12.0')).toHaveCount(0)
  })
})

test.describe('vLLM arguments in the deployment form', () => {
  test('essentials first with plain names, the rest in groups named for people; no flag-change note when nothing changes', async ({
    page,
    request,
  }) => {
    const created = await request.post(`${server.url}/api/v1/deployments`, {
      headers: { authorization: `Bearer ${server.token}` },
      data: { name: 'e2e-flags', model: { repo: 'org/tiny-chat' }, image: 'vllm/vllm-openai:latest', gpus: [] },
    })
    expect(created.ok(), await created.text()).toBe(true)
    const app = new AppShell(page)
    await app.open(server)
    await app.goTo('Deployments')
    await page.getByRole('region', { name: 'Deployment e2e-flags' }).getByRole('button', { name: 'Edit' }).click()
    const dialog = page.getByRole('dialog', { name: 'Edit e2e-flags' })
    const args = dialog.getByRole('region', { name: 'vLLM arguments' })

    const essentials = args.getByRole('region', { name: 'Essential flags' })
    await expect(essentials.locator('[data-flag]')).toHaveCount(11)
    await expect(essentials.locator('[data-flag]').first()).toHaveAttribute('data-flag', '--max-model-len')
    await expect(essentials.getByLabel('Context length (tokens) --max-model-len', { exact: true })).toBeVisible()
    await expect(essentials.getByLabel('GPU memory utilization (0–1) --gpu-memory-utilization', { exact: true })).toBeVisible()
    await expect(essentials.getByLabel('Reasoning parser --reasoning-parser', { exact: true })).toBeVisible()
    const groups = args.getByRole('list', { name: 'Flag groups' }).getByRole('listitem').getByRole('button')
    await expect(groups.first()).toHaveText(/^Model \d+$/)
    const titles = (await groups.allInnerTexts()).map((t) => t.replace(/\s*\d+$/, ''))
    expect(titles.slice(0, 5)).toEqual([
      'Model',
      'Memory and KV cache',
      'Batching and scheduling',
      'Multi-GPU and parallelism',
      'API server',
    ])
    expect(titles.filter((t) => /Config/.test(t))).toEqual([])
    // an essential is found by its plain name too
    await args.getByLabel('Search flags').fill('context length')
    await expect(essentials.locator('[data-flag]')).toHaveCount(1)
    await args.getByLabel('Search flags').fill('')

    // latest → v0.10.0 changes flags: the note shows; latest → v0.21.0 (the same release) changes none: no note
    const picker = dialog.getByRole('combobox', { name: 'vLLM version' })
    const pick = async (tag: string): Promise<void> => {
      await picker.click()
      // the option's name runs on into its date ("v0.10.07/24/2025"): the tag, then no more of a tag
      await page.getByRole('option', { name: new RegExp(`^${tag.replace(/\./g, '\\.')}(?![a-z-])`) }).click()
      await expect(picker).toContainText(tag)
    }
    await pick('v0.10.0')
    await expect(dialog.getByRole('region', { name: 'Flag changes latest to v0.10.0' })).toBeVisible()
    await pick('v0.21.0')
    await expect(dialog.getByRole('region', { name: 'Flag changes latest to v0.10.0' })).toHaveCount(0)
    await expect(dialog.getByTestId('flag-diff')).toHaveCount(0)
    await expect(dialog).not.toContainText('0 added, 0 removed')
  })
})
