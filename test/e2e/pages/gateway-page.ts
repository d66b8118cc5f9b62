import { expect, type Locator, type Page } from '@playwright/test'
import type { AppShell } from './app-shell'

/** The Gateway page: endpoint and examples, models, API keys, request log. */
export class GatewayPage {
  readonly page: Page
  readonly endpoint: Locator
  readonly url: Locator
  readonly keyRule: Locator
  readonly error: Locator
  readonly models: Locator
  readonly keys: Locator
  readonly newKeyDialog: Locator
  readonly log: Locator

  constructor(readonly app: AppShell) {
    const page = (this.page = app.page)
    this.endpoint = page.getByRole('region', { name: 'Gateway endpoint' })
    this.url = page.getByTestId('gateway-url')
    this.keyRule = page.getByTestId('gateway-key-rule')
    this.error = page.getByTestId('gateway-error')
    this.models = page.getByRole('region', { name: 'Models' })
    this.keys = page.getByRole('region', { name: 'API keys' })
    this.newKeyDialog = page.getByRole('dialog', { name: /^Your new key/ })
    this.log = page.getByRole('table', { name: 'Gateway requests' })
  }

  async open(): Promise<void> {
    await this.app.goTo('Gateway')
    await expect(this.endpoint).toBeVisible()
  }

  example(label: 'curl' | 'Python' | 'JavaScript'): Locator {
    return this.endpoint.getByLabel(`${label} example`, { exact: true })
  }

  async showExample(label: 'curl' | 'Python' | 'JavaScript'): Promise<void> {
    await this.endpoint.getByRole('button', { name: label, exact: true }).click()
    await expect(this.example(label)).toBeVisible()
  }

  model(name: string): Locator {
    return this.models.locator(`tr[data-model="${name}"]`)
  }

  modelState(name: string): Locator {
    return this.model(name).getByTestId('model-state')
  }

  keyRow(name: string): Locator {
    return this.keys.locator(`tr[data-key-name="${name}"]`)
  }

  /** Creates a key in the form and returns it as the dialog shows it (the only time it is shown). */
  async createKey(name: string, perMinute?: number): Promise<string> {
    await this.keys.getByLabel('Name', { exact: true }).fill(name)
    await this.keys.getByLabel('Requests per minute', { exact: true }).fill(perMinute === undefined ? '' : String(perMinute))
    await this.keys.getByRole('button', { name: 'Create key' }).click()
    await expect(this.newKeyDialog).toBeVisible()
    const key = await this.newKeyDialog.getByLabel('New API key').inputValue()
    return key
  }
}
