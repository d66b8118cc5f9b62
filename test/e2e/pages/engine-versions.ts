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

  row(tag: string): Locator {
    return this.table.getByTestId(`tag-${tag}`)
  }
}
