import { AppShell, PAGE_NAMES } from './pages/app-shell'
import { expect, test } from './support/fixtures'

test.describe('app frame', () => {
  test('opens with the token link, drops the token from the URL and reaches every page', async ({ page, server }) => {
    const response = await page.goto(`${server.url}/?token=${server.token}`)
    expect(response?.status()).toBe(200)
    const app = new AppShell(page)
    await app.expectConnected()

    expect(page.url()).not.toContain('token=')
    expect(page.url()).not.toContain(server.token)
    await expect(app.version).toHaveText(/^v\d+\.\d+\.\d+ · headless$/)

    for (const name of PAGE_NAMES) {
      await app.goTo(name)
      await expect(page).toHaveTitle(`${name} · InferAdmin`)
    }
    // Deep links survive a reload (hash routing; the cookie authorises the reload).
    await page.reload()
    await expect(app.heading('Settings')).toBeVisible()
  })

  test('a fresh install’s Deployments page says what it will hold and how to start', async ({ app }) => {
    // Models and Open WebUI are no longer placeholders: models.spec.ts and webui.spec.ts cover them.
    await app.goTo('Deployments')
    const empty = app.page.getByRole('region', { name: 'No deployments yet' })
    await expect(empty).toBeVisible()
    await expect(empty).toContainText('Serve a model from your library with vLLM in a Docker container')
    await expect(empty.getByRole('listitem')).toHaveCount(3)
    await expect(app.page.getByRole('button', { name: 'New deployment' })).toBeEnabled()
  })

  test('System shows live pool statistics and where data lives', async ({ app, server }) => {
    await app.goTo('System')
    const table = app.page.getByRole('table', { name: 'Worker pools' })
    await expect(table).toBeVisible()
    const rows = table.getByRole('row')
    await expect(rows).toHaveCount(3) // header + CPU pool + I/O limiter
    await expect(table.getByRole('cell', { name: 'CPU threads' })).toBeVisible()
    await expect(table.getByRole('cell', { name: 'I/O limiter' })).toBeVisible()
    await expect(app.page.getByTestId('pools-live')).toHaveText('Live')
    // The stream keeps pushing: the "updated" time changes.
    const updated = app.page.getByText(/^updated /)
    const first = await updated.textContent()
    await expect(updated).not.toHaveText(first ?? '')

    const info = app.page.getByRole('definition')
    await expect(info.filter({ hasText: 'Headless server' })).toBeVisible()
    await expect(info.filter({ hasText: server.home }).first()).toBeVisible()
  })

  test('the header toggle switches the theme and it persists', async ({ app, rest }) => {
    const before = await app.appliedTheme()
    const after = before === 'dark' ? 'light' : 'dark'
    await app.themeToggle.click()
    await expect.poll(() => app.appliedTheme()).toBe(after)
    await expect.poll(async () => (await rest.get<{ settings: { theme: string } }>('/settings')).settings.theme).toBe(after)
    await app.page.reload()
    await app.expectConnected()
    expect(await app.appliedTheme()).toBe(after)
    await expect(app.themeToggle).toHaveAccessibleName(`Switch to ${before} theme`)
  })
})
