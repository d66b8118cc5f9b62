import { expect, type Locator, type Page } from '@playwright/test'

/** The Dashboard: one card per GPU (name, VRAM bar, charts), the GPU fault alert, onboarding steps. */
export class DashboardPage {
  readonly gpuCards: Locator
  readonly gpuFault: Locator
  readonly onboarding: Locator

  constructor(readonly page: Page) {
    this.gpuCards = page.getByRole('region', { name: /^GPU \d+: / })
    this.gpuFault = page.getByTestId('gpu-fault')
    this.onboarding = page.getByRole('region', { name: 'Set up this workstation' })
  }

  gpuCard(index: number, name: string): Locator {
    return this.page.getByRole('region', { name: `GPU ${index}: ${name}`, exact: true })
  }

  vramBar(index: number): Locator {
    return this.page.getByRole('img', { name: new RegExp(`^GPU ${index} memory: `) })
  }

  async expectGpuCount(n: number): Promise<void> {
    await expect(this.gpuCards).toHaveCount(n)
  }
}
