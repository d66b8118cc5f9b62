import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Core } from '../core/create-core'
import { createTestCore } from '../core/test-core'
import { startHeadlessServer, type HeadlessServer, type HeadlessServerOptions } from './http-server'

export interface TestServer {
  dir: string
  /** A stub UI (index.html only). */
  renderer: string
  core: Core
  server: HeadlessServer
  close(): Promise<void>
}

/** The real headless server on loopback over a test core in a fresh temp dir, with a stub UI (the server's own tests). */
export async function startTestServer(
  prefix: string,
  token: string,
  extra: Pick<HeadlessServerOptions, 'sessions' | 'serverFile'> = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const renderer = join(dir, 'renderer')
  mkdirSync(renderer)
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>InferAdmin</title><div id="app"></div>')
  const core = await createTestCore(dir, { version: '9.9.9' })
  const opts = {
    router: core.router,
    logger: core.logger,
    version: '9.9.9',
    token,
    host: '127.0.0.1',
    port: 0,
    rendererDir: renderer,
    ...extra,
  }
  const server = await startHeadlessServer(opts)
  return {
    dir,
    renderer,
    core,
    server,
    async close() {
      await server.close()
      await core.dispose()
    },
  }
}
