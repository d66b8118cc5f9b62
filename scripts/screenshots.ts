/**
 * README screenshots: starts the headless server like the e2e setup, fills in representative settings
 * and saves 1280x800 PNGs of every page (light and dark) to docs/screenshots/.
 * Run manually after `npm run build`:  npx tsx scripts/screenshots.ts
 * With the simulated workstation up (`eval "$(npm run -s sim -- up)"`) it first pulls a model and starts a
 * deployment, so the Dashboard, Models and Deployments pages show a working machine.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, expect, type Page } from '@playwright/test'
import { repoRoot, startServer } from '../test/e2e/support/server'
import { seedWorkstation, simAvailable } from './screenshot-seed'

const outDir = join(repoRoot, 'docs', 'screenshots')
const pages = [
  { file: 'dashboard', link: 'Dashboard', ready: (p: Page) => expect(p.getByRole('group', { name: 'Disk' })).toContainText('free') },
  { file: 'models', link: 'Models', ready: (p: Page) => expect(p.getByRole('heading', { level: 1, name: 'Models' })).toBeVisible() },
  {
    file: 'deployments',
    link: 'Deployments',
    ready: (p: Page) => expect(p.getByRole('heading', { level: 1, name: 'Deployments' })).toBeVisible(),
  },
  {
    file: 'gateway',
    link: 'Gateway',
    // The planner's decisions (the seeded start) rather than the endpoint at the top.
    ready: (p: Page) => p.getByRole('region', { name: 'Memory planner log' }).scrollIntoViewIfNeeded(),
  },
  {
    file: 'system',
    link: 'System',
    ready: (p: Page) => expect(p.getByTestId('pools-live')).toHaveText('Live'),
  },
  { file: 'settings', link: 'Settings', ready: (p: Page) => expect(p.getByRole('form', { name: 'Settings' })).toBeVisible() },
] as const

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true })
  const server = await startServer({ home: '/tmp/inferadmin', log: process.env.SHOT_LOG === '1' })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
  let cleanup: (() => Promise<void>) | undefined
  try {
    const put = (body: unknown): Promise<Response> =>
      fetch(`${server.url}/api/v1/settings`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    // Under the sim the default store (inside INFERADMIN_HOME) receives the pulled model; otherwise show
    // what a typical two-location setup looks like.
    const seeded = await put(
      simAvailable()
        ? { modelStores: [{ path: '/tmp/inferadmin/models', label: 'Default' }], defaultStore: 0 }
        : {
            modelStores: [
              { path: '~/.cache/huggingface/hub', label: 'Hugging Face cache' },
              { path: '/mnt/nvme/models', label: 'NVMe scratch' },
            ],
            defaultStore: 0,
          },
    )
    if (!seeded.ok) throw new Error(`seeding settings failed: ${seeded.status} ${await seeded.text()}`)
    if (simAvailable()) cleanup = await seedWorkstation(server)

    for (const theme of ['light', 'dark'] as const) {
      const res = await put({ theme })
      if (!res.ok) throw new Error(`setting the theme failed: ${res.status}`)
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: theme })
      const page = await context.newPage()
      await page.goto(`${server.url}/?token=${server.token}`)
      await expect(page.getByRole('status', { name: 'Server connection: Connected' })).toBeVisible()
      for (const shot of pages) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: shot.link, exact: true }).click()
        await expect(page.getByRole('heading', { level: 1, name: shot.link })).toBeVisible()
        await shot.ready(page)
        // Notifications (the seeded deployment became ready) would cover the page.
        for (const close of await page.getByRole('button', { name: 'Close toast' }).all()) await close.click().catch(() => undefined)
        await expect(page.locator('[data-sonner-toast]')).toHaveCount(0)
        await page.mouse.move(1279, 799)
        await page.waitForTimeout(400) // let transitions settle
        const file = join(outDir, theme === 'light' ? `${shot.file}.png` : `${shot.file}-dark.png`)
        await page.screenshot({ path: file })
        process.stdout.write(`wrote ${file}\n`)
      }
      await context.close()
    }
  } finally {
    await cleanup?.()
    await browser.close()
    await server.stop()
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
