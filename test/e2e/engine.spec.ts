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
})
