import type { WebSocketRoute } from '@playwright/test'
import { AppShell } from './pages/app-shell'
import { expect, test } from './support/fixtures'

test.describe('connection to the server', () => {
  test('a dropped connection shows a banner and reconnects by itself', async ({ page, server }) => {
    const routes: WebSocketRoute[] = []
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    await page.routeWebSocket(/\/rpc$/, async (ws) => {
      routes.push(ws)
      if (routes.length > 1) await gate // hold the reconnection until the banner has been seen
      ws.connectToServer()
    })
    const app = new AppShell(page)
    await app.open(server)
    await app.goTo('System')
    await expect(page.getByTestId('pools-live')).toHaveText('Live')

    await routes[0]?.close({ code: 1012, reason: 'server restart' })
    await expect(app.reconnectingBanner).toBeVisible()
    await expect(page.getByTestId('pools-live')).toHaveText('Paused')
    release()
    await expect(app.reconnectingBanner).toBeHidden()
    await app.expectConnected()
    expect(routes.length).toBeGreaterThan(1)
    // The pool stream is reopened on the new connection.
    await expect(page.getByTestId('pools-live')).toHaveText('Live')
  })

  test('a session the server no longer accepts says how to get a fresh link', async ({ page, server }) => {
    const routes: WebSocketRoute[] = []
    await page.routeWebSocket(/\/rpc$/, (ws) => {
      routes.push(ws)
      ws.connectToServer()
    })
    const app = new AppShell(page)
    await app.open(server)
    const cookies = await page.context().cookies()

    await page.context().clearCookies() // as if the server had issued a new token
    await routes[0]?.close({ code: 1012, reason: 'server restart' })
    await expect(app.signedOutBanner).toBeVisible()
    await expect(app.signedOutBanner).toContainText('server.json')
    await expect(app.signedOutBanner).toContainText('?token=')
    await expect(app.connection).toHaveAccessibleName('Server connection: Not signed in')

    await page.context().addCookies(cookies) // e.g. the link was opened in another tab
    await app.signedOutBanner.getByRole('button', { name: 'Retry' }).click()
    await app.expectConnected()
    await expect(app.signedOutBanner).toBeHidden()
  })
})
