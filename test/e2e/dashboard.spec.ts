import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GpusSnapshot } from '../../src/shared/contract/gpu'
import { setExternalUsage, setFaultState } from '../sim/gpus/state.js'
import { AppShell } from './pages/app-shell'
import { DashboardPage } from './pages/dashboard-page'
import { expect, test } from './support/fixtures'
import { startServer } from './support/server'

function gpuDir(): string {
  const dir = process.env.INFERADMIN_E2E_GPU_DIR
  if (!dir) throw new Error('INFERADMIN_E2E_GPU_DIR is not set (global setup did not run?)')
  return dir
}

const mib = (n: number | null): string => `${new Intl.NumberFormat('en-US').format(n ?? 0)} MiB`

test.describe('Dashboard GPUs', () => {
  test.afterEach(() => {
    setFaultState(gpuDir(), 'none')
    setExternalUsage(gpuDir(), 0, 0)
  })

  test('shows both simulated GPUs with names and VRAM bars that match the API', async ({ app, rest }) => {
    const dash = new DashboardPage(app.page)
    setExternalUsage(gpuDir(), 0, 3000)
    // Wait until the API reports the external use, then the UI must show the same numbers.
    await expect.poll(async () => (await rest.get<GpusSnapshot>('/gpus')).gpus[0]?.memory.otherMiB ?? 0).toBeGreaterThanOrEqual(3000)
    const api = await rest.get<GpusSnapshot>('/gpus')
    expect(api.gpus).toHaveLength(2)
    await dash.expectGpuCount(2)
    for (const g of api.gpus) {
      const card = dash.gpuCard(g.index, g.name)
      await expect(card).toBeVisible()
      await expect(card.getByTestId('gpu-name')).toHaveText(g.name)
      const bar = dash.vramBar(g.index)
      await expect(bar).toHaveAttribute('data-total-mib', String(g.memoryTotalMiB))
      await expect(bar).toHaveAttribute('data-used-mib', String(g.memoryUsedMiB))
      await expect(card.getByTestId('vram-used')).toHaveText(`${mib(g.memoryUsedMiB)} / ${mib(g.memoryTotalMiB)}`)
      await expect(card.getByTestId('vram-legend-other')).toContainText(mib(g.memory.otherMiB))
      await expect(card.getByTestId('vram-legend-free')).toContainText(mib(g.memory.freeMiB))
      await expect(card.getByRole('img', { name: /^Utilization, last minutes/ })).toBeVisible()
      await expect(card.getByRole('img', { name: /^Power, last minutes/ })).toBeVisible()
      await expect(card.getByTestId('gpu-temperature')).toHaveText(/\d+ °C/)
    }
  })

  test('shows the driver fault with its fix instead of zeros, and the GPUs again when it clears', async ({ app, rest }) => {
    const dash = new DashboardPage(app.page)
    await dash.expectGpuCount(2)
    setFaultState(gpuDir(), 'driver-not-loaded')
    await expect(dash.gpuFault).toHaveAttribute('data-fault-kind', 'driver-not-loaded')
    await expect(dash.gpuFault).toContainText("couldn't communicate with the NVIDIA driver")
    await expect(dash.gpuFault).toContainText('sudo modprobe nvidia')
    await expect(dash.gpuCards).toHaveCount(0)
    expect((await rest.get<GpusSnapshot>('/gpus')).fault?.kind).toBe('driver-not-loaded')

    setFaultState(gpuDir(), 'none')
    await expect(dash.gpuFault).toHaveCount(0)
    await dash.expectGpuCount(2)
  })

  test('a lost GPU: the other one keeps its card, the lost one is named in a warning', async ({ app }) => {
    const dash = new DashboardPage(app.page)
    await dash.expectGpuCount(2)
    setFaultState(gpuDir(), 'gpu-lost', 1)
    await expect(dash.gpuFault).toHaveAttribute('data-fault-kind', 'gpu-lost')
    await expect(dash.gpuFault).toContainText('GPU is lost')
    await dash.expectGpuCount(1)
    setFaultState(gpuDir(), 'none')
    await dash.expectGpuCount(2)
    await expect(dash.gpuFault).toHaveCount(0)
  })
})

test.describe('System page: doctor and inventory', () => {
  test('lists the host checks (driver from the stand-in), the host inventory, and runs the GPU dry run on request', async ({ app }) => {
    await app.goTo('System')
    const doctor = app.page.getByRole('region', { name: 'Doctor' })
    const checks = doctor.getByRole('list', { name: 'Checks' })
    await expect(checks.locator('[data-check="docker"]')).toBeVisible()
    const driver = checks.locator('[data-check="driver"]')
    await expect(driver).toHaveAttribute('data-status', 'ok')
    await expect(driver).toContainText('Driver 570.124.06, CUDA 12.8; 2 GPU(s)')
    for (const id of ['gpu-docker', 'disk:0', 'hf-token']) await expect(checks.locator(`[data-check="${id}"]`)).toBeVisible()
    // every check that is not ok carries a fix line
    for (const row of await checks.locator('li:not([data-status="ok"])').all()) await expect(row).toContainText('Fix:')

    const host = app.page.getByRole('region', { name: 'Host' })
    await expect(host.getByTestId('inventory-cpu')).toContainText('cores')
    await expect(host.getByRole('table', { name: 'Disks' })).toBeVisible()

    await doctor.getByRole('button', { name: 'Run GPU dry run' }).click()
    const result = doctor.getByTestId('gpu-dry-run')
    await expect(result).toBeVisible({ timeout: 60_000 })
    await expect(result).toHaveAttribute('data-status', /^(ok|warn|fail)$/)
  })
})

test('first start with a failing check shows the setup steps with their fixes; dismissed, they stay away', async ({ page }) => {
  const home = mkdtempSync(join(tmpdir(), 'inferadmin-e2e-onboarding-'))
  writeFileSync(join(home, 'settings.json'), JSON.stringify({ dockerSocket: `unix://${home}/no-docker.sock` }))
  const server = await startServer({ home })
  try {
    const app = new AppShell(page)
    await app.open(server)
    const dash = new DashboardPage(page)
    await expect(dash.onboarding).toBeVisible()
    const steps = dash.onboarding.getByRole('list', { name: 'Setup steps' })
    const docker = steps.locator('[data-check="docker"]')
    await expect(docker).toContainText(`no Docker socket at unix://${home}/no-docker.sock`)
    await expect(docker).toContainText('Fix: Start Docker')
    await expect(steps.locator('[data-check="gpu-docker"]')).toContainText('Fix:')
    // the GPUs themselves are fine (stand-in nvidia-smi): not a setup step
    await expect(steps.locator('[data-check="driver"]')).toHaveCount(0)
    await dash.expectGpuCount(2)

    await dash.onboarding.getByRole('button', { name: 'Dismiss setup steps' }).click()
    await expect(dash.onboarding).toBeHidden()
    await page.reload()
    await app.expectConnected()
    await dash.expectGpuCount(2)
    await expect(dash.onboarding).toBeHidden()
  } finally {
    await server.stop()
  }
})

test.describe('Dashboard overview', () => {
  test('top cards are GPUs, Models, Serving and Disk; worker pools live on System', async ({ app, rest }) => {
    const cards = app.page.getByRole('main').getByRole('group')
    await expect(cards).toHaveCount(4)
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))).toEqual(['GPUs', 'Models', 'Serving', 'Disk'])
    await expect(app.page.getByRole('group', { name: 'Worker pools' })).toHaveCount(0)
    await expect(app.page.getByRole('group', { name: 'Serving' })).toContainText('no deployments yet')
    // Disk: the free space of the default model store, as the API measures it
    const storage = await rest.get<{ isDefault: boolean; freeBytes: number }[]>('/storage')
    expect(storage.find((s) => s.isDefault)?.freeBytes).toBeGreaterThan(0)
    await expect(app.page.getByRole('group', { name: 'Disk' })).toContainText(/ (B|KiB|MiB|GiB|TiB) free/)
    await app.goTo('System')
    await expect(app.page.getByRole('table', { name: 'Worker pools' })).toBeVisible()
  })
})

test('a bare host (no nvidia-smi): the error appears once, in the setup steps, with its fix', async ({ page }) => {
  const home = mkdtempSync(join(tmpdir(), 'inferadmin-e2e-bare-'))
  writeFileSync(join(home, 'settings.json'), JSON.stringify({ dockerSocket: `unix://${home}/no-docker.sock` }))
  const server = await startServer({ home, env: { INFERADMIN_NVIDIA_SMI: join(home, 'no-nvidia-smi') } })
  try {
    const app = new AppShell(page)
    await app.open(server)
    const dash = new DashboardPage(page)
    const driver = dash.onboarding.getByRole('list', { name: 'Setup steps' }).locator('[data-check="driver"]')
    await expect(driver).toContainText('Fix:')
    const res = await page.request.get(`${server.url}/api/v1/gpus`, { headers: { authorization: `Bearer ${server.token}` } })
    const fault = ((await res.json()) as GpusSnapshot).fault
    expect(fault?.message).toBeTruthy()
    await expect(driver).toContainText(fault!.message)
    await expect(page.getByTestId('gpu-fault-pointer')).toBeVisible()
    await expect(page.getByRole('group', { name: 'GPUs' })).toContainText('no GPU telemetry')
    const body = await page.locator('body').innerText()
    expect(body.split(fault!.message).length - 1).toBe(1)
    expect(body.split(fault!.fix).length - 1).toBe(1)

    // Setup steps dismissed: the GPU section shows the fault (still once).
    await dash.onboarding.getByRole('button', { name: 'Dismiss setup steps' }).click()
    await expect(dash.gpuFault).toContainText(fault!.message)
    expect((await page.locator('body').innerText()).split(fault!.message).length - 1).toBe(1)
  } finally {
    await server.stop()
  }
})
