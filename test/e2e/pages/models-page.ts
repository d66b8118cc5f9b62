import { expect, type Locator, type Page } from '@playwright/test'
import type { AppShell } from './app-shell'

/** The Models page: downloads, local models, storage, and the search-and-pull dialog. */
export class ModelsPage {
  readonly page: Page
  readonly pullButton: Locator
  readonly dialog: Locator
  readonly searchInput: Locator
  readonly searchButton: Locator
  readonly results: Locator
  readonly files: Locator
  readonly downloadButton: Locator
  readonly localModels: Locator

  constructor(readonly app: AppShell) {
    const page = (this.page = app.page)
    this.pullButton = page.getByRole('button', { name: 'Pull a model' })
    this.dialog = page.getByRole('dialog', { name: 'Pull a model' })
    this.searchInput = this.dialog.getByLabel('Search the Hub')
    this.searchButton = this.dialog.getByRole('button', { name: 'Search', exact: true })
    this.results = this.dialog.getByRole('table', { name: 'Search results' })
    this.files = this.dialog.getByRole('region', { name: 'Files to download' })
    this.downloadButton = this.dialog.getByRole('button', { name: 'Download', exact: true })
    this.localModels = page.getByRole('table', { name: 'Local models' })
  }

  async open(): Promise<void> {
    await this.app.goTo('Models')
  }

  result(repo: string): Locator {
    return this.results.getByRole('row').filter({ hasText: repo })
  }

  download(repo: string): Locator {
    return this.page.getByRole('region', { name: `Download ${repo}` })
  }

  model(repo: string): Locator {
    return this.localModels.getByRole('row').filter({ hasText: repo })
  }

  async search(query: string): Promise<void> {
    await this.pullButton.click()
    await expect(this.dialog).toBeVisible()
    await this.searchInput.fill(query)
    await this.searchButton.click()
  }

  async select(repo: string): Promise<void> {
    await this.dialog.getByRole('button', { name: `Select ${repo}` }).click()
    await expect(this.files).toBeVisible()
  }
}
