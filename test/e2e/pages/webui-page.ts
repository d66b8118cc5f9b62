import { expect, type Locator, type Page } from '@playwright/test'
import type { AppShell } from './app-shell'

/** The Open WebUI page: status, deploy form, actions, connections, delete dialog. */
export class WebuiPage {
  readonly page: Page
  readonly state: Locator
  readonly openLink: Locator
  readonly address: Locator
  readonly status: Locator
  readonly connections: Locator
  readonly deployForm: Locator
  readonly deleteDialog: Locator

  constructor(readonly app: AppShell) {
    const page = (this.page = app.page)
    this.status = page.getByRole('region', { name: 'Open WebUI status' })
    this.state = page.getByTestId('webui-state')
    this.openLink = page.getByRole('link', { name: 'Open Open WebUI' })
    this.address = page.getByTestId('webui-url')
    this.connections = page.getByRole('region', { name: 'Model connections' })
    this.deployForm = page.getByRole('form', { name: 'Deploy Open WebUI' })
    this.deleteDialog = page.getByRole('dialog', { name: 'Delete Open WebUI?' })
  }

  async open(): Promise<void> {
    await this.app.goTo('Open WebUI')
  }

  async deploy(port: number): Promise<void> {
    await this.deployForm.getByLabel('Port').fill(String(port))
    await this.deployForm.getByRole('button', { name: 'Deploy Open WebUI' }).click()
  }

  /** Delete through the confirmation dialog; with data the dialog must show the volume's size first. */
  async delete(withData: boolean): Promise<string> {
    await this.status.getByRole('button', { name: 'Delete…' }).click()
    await expect(this.deleteDialog).toBeVisible()
    const box = this.deleteDialog.getByRole('checkbox', { name: /Also delete the data volume/ })
    await expect(box).toBeEnabled()
    const label = (await this.deleteDialog.locator('label').innerText()).trim()
    if (withData) await box.check()
    await this.deleteDialog.getByRole('button', { name: withData ? /^Delete with data/ : 'Delete, keep data' }).click()
    await expect(this.deleteDialog).toBeHidden()
    return label
  }
}
