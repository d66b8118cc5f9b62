import type { FullConfig } from '@playwright/test'
import { startServer } from './support/server'

/**
 * One headless server for the whole run. URL, token and home reach the test workers through the
 * environment (workers inherit what global setup sets); the returned function is the teardown.
 */
export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  const server = await startServer({ log: process.env.INFERADMIN_E2E_LOG === '1' })
  process.env.INFERADMIN_E2E_URL = server.url
  process.env.INFERADMIN_E2E_TOKEN = server.token
  process.env.INFERADMIN_E2E_HOME = server.home
  return server.stop
}
