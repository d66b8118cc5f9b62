import { expect, type Locator, type Page } from '@playwright/test'
import type { AppShell } from './app-shell'

/** Labels of the plain settings inputs, as shown on the page. */
export const FIELD = {
  gpuRefresh: 'GPU refresh interval (ms)',
  containerRefresh: 'Container refresh interval (ms)',
  cpuPool: 'CPU pool size',
  ioConcurrency: 'I/O concurrency',
  listenInterface: 'Listen interface',
  apiHost: 'Management API host',
  dockerSocket: 'Docker socket',
  vllmImage: 'vLLM image repository',
  hubEndpoint: 'Hugging Face endpoint',
} as const

export class SettingsPage {
  readonly page: Page
  readonly form: Locator
  readonly theme: Locator
  readonly saveButton: Locator
  readonly discardButton: Locator
  readonly formErrors: Locator
  readonly hfTokenInput: Locator
  readonly hfTokenStatus: Locator
  readonly setTokenButton: Locator
  readonly clearTokenButton: Locator
  readonly addStoreButton: Locator
  readonly loadProblems: Locator
  readonly configPath: Locator

  constructor(readonly app: AppShell) {
    const page = (this.page = app.page)
    this.form = page.getByRole('form', { name: 'Settings' })
    this.theme = page.getByRole('combobox', { name: 'Theme' })
    this.saveButton = page.getByRole('button', { name: 'Save changes' })
    this.discardButton = page.getByRole('button', { name: 'Discard' })
    this.formErrors = page.getByTestId('form-errors')
    this.hfTokenInput = page.getByLabel('New token', { exact: true })
    this.hfTokenStatus = page.getByTestId('hf-token-status')
    this.setTokenButton = page.getByRole('button', { name: 'Set token' })
    this.clearTokenButton = page.getByRole('button', { name: 'Clear token' })
    this.addStoreButton = page.getByRole('button', { name: 'Add location' })
    this.loadProblems = page.getByTestId('load-problems')
    this.configPath = page.getByTestId('config-path')
  }

  async open(): Promise<void> {
    await this.app.goTo('Settings')
    await expect(this.form).toBeVisible()
  }

  field(label: string): Locator {
    return this.page.getByLabel(label, { exact: true })
  }

  /** The inline error shown for a labelled field. */
  fieldError(label: string): Locator {
    return this.page
      .locator('[data-slot="form-item"]')
      .filter({ has: this.field(label) })
      .getByRole('alert')
  }

  storePath(n: number): Locator {
    return this.page.getByLabel(`Path of store ${n}`, { exact: true })
  }

  storeLabel(n: number): Locator {
    return this.page.getByLabel(`Label of store ${n}`, { exact: true })
  }

  storeDefault(n: number): Locator {
    return this.page.getByRole('radio', { name: `Use store ${n} as default` })
  }

  removeStore(n: number): Locator {
    return this.page.getByRole('button', { name: `Remove store ${n}` })
  }

  async chooseTheme(name: 'System' | 'Light' | 'Dark'): Promise<void> {
    await this.theme.click()
    await this.page.getByRole('option', { name, exact: true }).click()
    await expect(this.theme).toHaveText(name)
  }

  async save(): Promise<void> {
    await this.saveButton.click()
  }

  async expectSaved(): Promise<void> {
    // the newest toast: an earlier save's toast may still be showing
    await expect(this.page.getByText('Settings saved', { exact: true }).last()).toBeVisible()
    await expect(this.page.getByText('All changes saved.')).toBeVisible()
  }

  async setHfToken(token: string): Promise<void> {
    await this.hfTokenInput.fill(token)
    await this.setTokenButton.click()
    await expect(this.page.getByText('Hugging Face token saved', { exact: true })).toBeVisible()
    await expect(this.hfTokenInput).toHaveValue('')
  }

  /** Reloads the page and waits for the settings to be back from the server. */
  async reload(): Promise<void> {
    await this.page.reload()
    await this.app.expectConnected()
    await expect(this.app.heading('Settings')).toBeVisible()
    await expect(this.form).toBeVisible()
  }
}
