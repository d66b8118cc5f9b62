import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

const alias = { '@': resolve('src/renderer/src'), '@shared': resolve('src/shared') }

export default defineConfig({
  resolve: { alias },
  test: {
    // Every server a test starts puts its gateway on a free port (8000 may be taken; servers run in parallel).
    env: { INFERADMIN_GATEWAY_PORT: '0' },
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bin/**/*.test.{js,ts}', 'scripts/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/**/*.int.test.ts', 'node_modules/**', 'out/**'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Integration tests (*.int.test.ts) against the simulated workstation (test/sim/README.md): a real
        // dockerd (private, started as root by `sim up` in the global setup, stopped by `down` if it started it).
        resolve: { alias },
        test: {
          name: 'sim',
          include: ['test/**/*.int.test.ts'],
          globalSetup: ['test/sim/global-setup.ts'],
          // The files share the simulated GPUs: one file at a time.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
})
