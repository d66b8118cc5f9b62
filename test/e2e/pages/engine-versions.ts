import { expect, type Locator } from '@playwright/test'
import type { AppShell } from './app-shell'

/** The vLLM versions card on the System page. */
export class EngineVersionsCard {
  readonly card: Locator
  readonly table: Locator
  readonly error: Locator
  readonly refresh: Locator

  constructor(readonly app: AppShell) {
    this.card = app.page.getByTestId('engine-versions')
    this.table = this.card.getByRole('table', { name: 'vLLM versions' })
    this.error = this.card.getByRole('alert').filter({ hasText: 'Version list not refreshed' })
    this.refresh = this.card.getByRole('button', { name: 'Refresh' })
  }

  async open(): Promise<void> {
    await this.app.goTo('System')
    await expect(this.card).toBeVisible()
  }

  /** Tag names in table order. */
  async tags(): Promise<string[]> {
    return (await this.table.locator('tbody tr td:first-child').allTextContents()).map((s) => s.trim())
  }

  /** Opens "Compare flags between versions". */
  async openCompare(): Promise<{ from: Locator; to: Locator; args: Locator; diff: (from: string, to: string) => Locator }> {
    await this.card.getByText('Compare flags between versions').click()
    const tool = this.card.getByTestId('flag-compare')
    await expect(tool).toBeVisible()
    return {
      from: tool.getByRole('combobox', { name: 'Compare flags from' }),
      to: tool.getByRole('combobox', { name: 'Compare flags to' }),
      args: tool.getByLabel('Arguments to check'),
      diff: (from, to) => tool.getByRole('region', { name: `Flag changes ${from} to ${to}` }),
    }
  }

  async choose(select: Locator, option: string): Promise<void> {
    await select.click()
    await this.app.page.getByRole('option', { name: option, exact: true }).click()
    await expect(select).toHaveText(option)
  }

  row(tag: string): Locator {
    return this.table.getByTestId(`tag-${tag}`)
  }
}
