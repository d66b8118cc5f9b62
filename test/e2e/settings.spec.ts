import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppShell } from './pages/app-shell'
import { FIELD, SettingsPage } from './pages/settings-page'
import { expect, test } from './support/fixtures'
import { startServer } from './support/server'

interface View {
  settings: { gpuRefreshMs: number; containerRefreshMs: number; theme: string; modelStores: { path: string }[]; defaultStore: number }
  hfToken: { set: boolean }
}

test.describe('Settings', () => {
  test('edits are validated, saved and still there after a reload', async ({ app, rest }) => {
    const settings = new SettingsPage(app)
    await rest.put('/settings', { hfToken: null, theme: 'light' })
    await app.page.reload() // pick up the state set behind the UI's back
    await app.expectConnected()
    await settings.open()
    const before = await rest.get<View>('/settings')
    const gpuMs = before.settings.gpuRefreshMs === 1750 ? 2250 : 1750

    await settings.field(FIELD.gpuRefresh).fill(String(gpuMs))
    await settings.chooseTheme('Dark')
    await settings.save()
    await settings.expectSaved()
    expect(await app.appliedTheme()).toBe('dark')

    const hfToken = `hf_e2e${Date.now()}secretValue`
    await expect(settings.hfTokenStatus).toHaveText('not set')
    await settings.setHfToken(hfToken)
    await expect(settings.hfTokenStatus).toHaveText('set')

    await settings.reload()
    await expect(settings.field(FIELD.gpuRefresh)).toHaveValue(String(gpuMs))
    await expect(settings.theme).toHaveText('Dark')
    expect(await app.appliedTheme()).toBe('dark')
    await expect(settings.hfTokenStatus).toHaveText('set')

    // The token is write-only: not in the page, not in any input, not in the API.
    expect(await app.page.content()).not.toContain(hfToken)
    for (const input of await app.page.locator('input').all()) expect(await input.inputValue()).not.toContain(hfToken)
    expect(await rest.getText('/settings')).not.toContain(hfToken)

    const after = await rest.get<View>('/settings')
    expect(after.settings.gpuRefreshMs).toBe(gpuMs)
    expect(after.settings.theme).toBe('dark')
    expect(after.hfToken.set).toBe(true)

    await settings.clearTokenButton.click()
    await expect(settings.hfTokenStatus).toHaveText('not set')
  })

  test('an invalid value shows the field error and nothing is saved', async ({ app, rest }) => {
    const settings = new SettingsPage(app)
    await settings.open()
    const before = await rest.get<View>('/settings')

    await settings.field(FIELD.gpuRefresh).fill('10')
    await settings.field(FIELD.containerRefresh).fill(String(before.settings.containerRefreshMs + 1000))
    await settings.save()

    await expect(settings.fieldError(FIELD.gpuRefresh)).toHaveText('at least 250 ms')
    await expect(settings.field(FIELD.gpuRefresh)).toHaveAttribute('aria-invalid', 'true')
    await expect(settings.field(FIELD.gpuRefresh)).toBeFocused()
    await expect(settings.formErrors).toHaveText(/1 field needs attention; nothing was saved/)
    expect(await rest.get<View>('/settings')).toEqual(before)

    // Fixing the value clears the error as you type.
    await settings.field(FIELD.gpuRefresh).fill('500')
    await expect(settings.fieldError(FIELD.gpuRefresh)).toHaveCount(0)
    await settings.discardButton.click()
    await expect(settings.field(FIELD.gpuRefresh)).toHaveValue(String(before.settings.gpuRefreshMs))

    await settings.reload()
    await expect(settings.field(FIELD.gpuRefresh)).toHaveValue(String(before.settings.gpuRefreshMs))
  })

  test('model store locations can be added, made default and removed', async ({ app, rest, server }) => {
    const settings = new SettingsPage(app)
    await settings.open()
    await expect(settings.removeStore(1)).toBeDisabled() // at least one store is required

    await settings.addStoreButton.click()
    await settings.storePath(2).fill('relative/models')
    await settings.storeLabel(2).fill('Scratch')
    await settings.storeDefault(2).click()
    await settings.save()
    await expect(app.page.getByRole('alert').filter({ hasText: 'use an absolute path' })).toBeVisible()
    await expect(settings.storePath(2)).toHaveAttribute('aria-invalid', 'true')

    const scratch = `${server.home}/scratch-models`
    await settings.storePath(2).fill(scratch)
    await settings.save()
    await settings.expectSaved()

    await settings.reload()
    await expect(settings.storePath(2)).toHaveValue(scratch)
    await expect(settings.storeLabel(2)).toHaveValue('Scratch')
    await expect(settings.storeDefault(2)).toBeChecked()
    const saved = await rest.get<View>('/settings')
    expect(saved.settings.defaultStore).toBe(1)
    expect(saved.settings.modelStores[1]?.path).toBe(scratch)

    await settings.removeStore(2).click()
    await expect(settings.storeDefault(1)).toBeChecked()
    await settings.save()
    await settings.expectSaved()
    const reverted = await rest.get<View>('/settings')
    expect(reverted.settings.modelStores).toHaveLength(1)
    expect(reverted.settings.defaultStore).toBe(0)
  })

  test('an invalid Hugging Face token is rejected inline', async ({ app, rest }) => {
    const settings = new SettingsPage(app)
    await settings.open()
    const wasSet = (await rest.get<View>('/settings')).hfToken.set
    await settings.hfTokenInput.fill('not-a-token')
    await settings.setTokenButton.click()
    await expect(settings.fieldError('New token')).toContainText('starts with hf_')
    expect((await rest.get<View>('/settings')).hfToken.set).toBe(wasSet)
  })

  test('field errors from the server land on the field (settings changed behind the page)', async ({ app, rest, server }) => {
    const settings = new SettingsPage(app)
    const stores = [
      { path: `${server.home}/a`, label: 'A' },
      { path: `${server.home}/b`, label: 'B' },
    ]
    await rest.put('/settings', { modelStores: stores, defaultStore: 0 })
    await app.page.reload()
    await app.expectConnected()
    await settings.open()
    await expect(settings.storePath(2)).toHaveValue(stores[1]!.path)

    // Another client removes store B; this page still shows it and makes it the default.
    await rest.put('/settings', { modelStores: [stores[0]], defaultStore: 0 })
    await settings.storeDefault(2).click()
    await settings.save()
    await expect(app.page.getByRole('alert').filter({ hasText: 'Default store: must point at one of' })).toBeVisible()
    await expect(app.page.getByText(/^Invalid settings/)).toBeVisible() // the server's message, as a toast
    expect((await rest.get<View>('/settings')).settings.defaultStore).toBe(0)

    await rest.put('/settings', { modelStores: [stores[0]], defaultStore: 0 }) // leave one store behind
  })
})

test('an invalid settings file is reported and defaults are used', async ({ page }) => {
  const home = mkdtempSync(join(tmpdir(), 'inferadmin-e2e-invalid-'))
  writeFileSync(join(home, 'settings.json'), JSON.stringify({ gpuRefreshMs: 5, theme: 'neon' }))
  const server = await startServer({ home })
  try {
    const app = new AppShell(page)
    await app.open(server)
    const settings = new SettingsPage(app)
    await settings.open()
    await expect(settings.loadProblems).toBeVisible()
    const more = settings.loadProblems.getByRole('button', { name: /^Show \d+ more$/ })
    if (await more.isVisible()) await more.click()
    await expect(settings.loadProblems).toContainText('gpuRefreshMs')
    await expect(settings.loadProblems).toContainText('theme')
    await expect(settings.configPath).toHaveText(join(home, 'settings.json'))
    await expect(settings.field(FIELD.gpuRefresh)).toHaveValue('1000')

    // Saving writes a valid file and the warning goes away.
    await settings.field(FIELD.gpuRefresh).fill('2000')
    await settings.save()
    await settings.expectSaved()
    await settings.reload()
    await expect(settings.loadProblems).toBeHidden()
    await expect(settings.field(FIELD.gpuRefresh)).toHaveValue('2000')
  } finally {
    await server.stop()
  }
})
