import { expect, type Locator, type Page } from '@playwright/test'
import type { AppShell } from './app-shell'

/** The Deployments page: the list of deployment cards and the create/edit dialog. */
export class DeploymentsPage {
  readonly page: Page
  readonly newButton: Locator
  readonly dialog: Locator

  constructor(readonly app: AppShell) {
    const page = (this.page = app.page)
    this.newButton = page.getByRole('button', { name: 'New deployment' })
    this.dialog = page.getByRole('dialog', { name: 'New deployment' })
  }

  async open(): Promise<void> {
    await this.app.goTo('Deployments')
  }

  card(name: string): Locator {
    return this.page.getByRole('region', { name: `Deployment ${name}` })
  }

  state(name: string): Locator {
    return this.card(name).getByTestId('deployment-state')
  }

  /** The field of one vLLM flag in the argument form; essentials are labelled "Plain name --flag", the rest "--flag". */
  flagField(flag: string): Locator {
    const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    return this.dialog.getByRole('region', { name: 'vLLM arguments' }).getByLabel(new RegExp(`(^| )${escaped}( \\(deprecated\\))?$`))
  }

  /** Fill the dialog: name, image, one GPU, env, and flags through the generated argument form. */
  async create(o: { name: string; image: string; gpu: RegExp; env: string; flags: Record<string, string> }): Promise<void> {
    await this.newButton.click()
    await expect(this.dialog).toBeVisible()
    await this.dialog.getByLabel('Name', { exact: true }).fill(o.name)
    await this.dialog.getByLabel('Image', { exact: true }).fill(o.image)
    await this.dialog.getByRole('checkbox', { name: o.gpu }).check()
    await this.dialog.getByLabel(/^Environment/).fill(o.env)
    const args = this.dialog.getByRole('region', { name: 'vLLM arguments' })
    await expect(args.getByText(`from ${o.image}`)).toBeVisible({ timeout: 20_000 })
    for (const [flag, value] of Object.entries(o.flags)) {
      await args.getByLabel('Search flags').fill(flag)
      const input = this.flagField(flag)
      await input.fill(value)
      await input.press('Tab')
      await expect(args.getByRole('list', { name: 'Arguments set' })).toContainText(`${flag} ${value}`)
    }
    await this.dialog.getByRole('button', { name: 'Save' }).click()
    await expect(this.dialog).toBeHidden()
  }
}
