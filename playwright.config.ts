import { defineConfig } from '@playwright/test'

// End-to-end tests against the real headless server (started once in global setup) in Debian's
// Chromium. Never downloads browsers: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 and an explicit executable.
// Servers the specs start put their gateway on a free port (8000 may be taken by the developer's own app).
process.env.INFERADMIN_GATEWAY_PORT ??= '0'

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './test/e2e/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // Liveness bounds, not speed targets: every wait is on a condition (auto-waiting locators, expect.poll), and
  // these only decide when a wait that never ends is a failure. On CI's 2 cores beside dockerd, the stand-ins
  // and Chromium a page that answers in 1 s unloaded took 10-20 s, and tests failed at the old 30 s / 10 s.
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: 'list',
  outputDir: 'test-results',
  use: {
    headless: true,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
})
