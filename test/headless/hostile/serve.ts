/**
 * Child process of the hostile-input suite: a real headless server (the same startHeadlessServer as
 * `inferadmin serve`) over a core built with createTestCore in HOSTILE_DATA_DIR, with the model store at
 * HOSTILE_STORE and the Hub at HOSTILE_HUB. Runs apart from the test so a blocked event loop or a crash
 * is observable (and the test can restart it). Prints one JSON line {url} when it listens.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestCore } from '../../../src/main/core/test-core'
import { startHeadlessServer } from '../../../src/main/server/http-server'

const need = (name: string): string => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const dataDir = need('HOSTILE_DATA_DIR')
const token = need('HOSTILE_TOKEN')

const core = await createTestCore(dataDir, { env: { ...process.env, INFERADMIN_HOME: dataDir } })
core.settings.update({ modelStores: [{ path: need('HOSTILE_STORE'), label: 'Default' }], hubEndpoint: need('HOSTILE_HUB') })
const rendererDir = join(dataDir, 'renderer')
mkdirSync(rendererDir, { recursive: true })
writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>InferAdmin</title><div id="app"></div>')
const server = await startHeadlessServer({
  router: core.router,
  logger: core.logger,
  version: '0.0.0-hostile',
  token,
  host: '127.0.0.1',
  port: 0,
  rendererDir,
  metrics: core.metrics,
})
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`)

// The test holds our stdin open; when it goes away (even killed), so do we.
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()

process.once('SIGTERM', () => {
  setTimeout(() => process.exit(1), 3000).unref()
  void (async () => {
    try {
      await server.close()
      await core.dispose()
    } finally {
      process.exit(0)
    }
  })()
})
