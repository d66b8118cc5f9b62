import { expect, type Locator, type Page } from '@playwright/test'
import type { ServerInfo } from '../support/server'

export const PAGE_NAMES = ['Dashboard', 'Models', 'Deployments', 'Gateway', 'Open WebUI', 'System', 'Settings'] as const
export type PageName = (typeof PAGE_NAMES)[number]

/** The frame around every page: sidebar navigation, header, connection state. */
export class AppShell {
  readonly nav: Locator
  readonly version: Locator
  readonly connection: Locator
  readonly themeToggle: Locator
  readonly reconnectingBanner: Locator
  readonly signedOutBanner: Locator

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Main' })
    this.version = page.getByTestId('app-version')
    this.connection = page.getByRole('status', { name: /^Server connection/ }).first()
    this.themeToggle = page.getByRole('button', { name: /^Switch to (dark|light) theme$/ })
    this.reconnectingBanner = page.getByRole('status').filter({ hasText: 'Disconnected from the InferAdmin server' })
    this.signedOutBanner = page.getByRole('alert').filter({ hasText: 'no longer accepts' })
  }

  /** Opens `/?token=…` (the server sets the cookie and redirects) and waits until connected. */
  async open(server: ServerInfo): Promise<void> {
    await this.page.goto(`${server.url}/?token=${server.token}`)
    await this.expectConnected()
  }

  async expectConnected(): Promise<void> {
    await expect(this.connection).toHaveAccessibleName('Server connection: Connected')
  }

  heading(name: string): Locator {
    return this.page.getByRole('heading', { level: 1, name, exact: true })
  }

  link(name: PageName): Locator {
    return this.nav.getByRole('link', { name, exact: true })
  }

  async goTo(name: PageName): Promise<void> {
    await this.link(name).click()
    await expect(this.heading(name)).toBeVisible()
    await expect(this.link(name)).toHaveAttribute('aria-current', 'page')
  }

  /** 'dark' or 'light', from the class on <html>. */
  async appliedTheme(): Promise<'dark' | 'light'> {
    const dark = await this.page.locator('html').evaluate((el) => el.classList.contains('dark'))
    return dark ? 'dark' : 'light'
  }
}
