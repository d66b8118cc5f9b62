/**
 * Electron main entry: wires the plain-Node core into the hardened desktop shell. Everything
 * Electron-specific lives in ./shell; the same core also runs headless (./server/cli.ts).
 */
import { fileURLToPath } from 'node:url'
import { createCore } from './core/create-core'
import { createLogger } from './core/logging/logger'
import { startDesktop } from './shell/lifecycle'

const here = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url))

startDesktop({
  createCore,
  createLogger: (paths) => createLogger({ dataDir: paths.dataDir }),
  files: {
    preload: here('../preload/index.cjs'),
    renderer: here('../renderer'),
    worker: here('./pool-worker.js'),
    icon: here('../../resources/icon.png'),
  },
  env: process.env,
})
