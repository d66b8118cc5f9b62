import type { Locator, Page } from '@playwright/test'

/** The toasts in the bottom-right corner (vue-sonner): title, description and an action button each. */
export class Toasts {
  constructor(readonly page: Page) {}

  /** The toast whose title is `title`. */
  withTitle(title: string | RegExp): Locator {
    return this.page.locator('[data-sonner-toast]').filter({ has: this.page.locator('[data-title]').getByText(title, { exact: true }) })
  }

  description(toast: Locator): Locator {
    return toast.locator('[data-description]')
  }

  action(toast: Locator, name: string): Locator {
    return toast.getByRole('button', { name, exact: true })
  }
}
