import { app, shell, type Session, type WebContents } from 'electron'
import type { ShellLogger } from './logger'
import { isExternalWebUrl, type AppOrigin } from './origin'

/**
 * Per-webContents guards (Electron security checklist 13-15): our renderer may only navigate within its
 * own origin, never open windows (http(s) links go to the default browser instead) and never host a
 * <webview>.
 */
export function hardenWebContents(contents: WebContents, origin: AppOrigin, logger: ShellLogger): void {
  contents.on('will-navigate', (event) => {
    if (origin.isAppUrl(event.url)) return
    event.preventDefault()
    logger.warn({ url: event.url }, 'blocked navigation away from the app')
  })
  contents.on('will-redirect', (event) => {
    if (origin.isAppUrl(event.url)) return
    event.preventDefault()
    logger.warn({ url: event.url }, 'blocked redirect away from the app')
  })
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalWebUrl(url)) {
      shell.openExternal(url).catch((err: unknown) => logger.warn({ url, err: String(err) }, 'could not open link'))
    } else {
      logger.warn({ url }, 'blocked window.open')
    }
    return { action: 'deny' }
  })
  contents.on('will-attach-webview', (event) => {
    event.preventDefault()
    logger.warn({}, 'blocked <webview>')
  })
}

/** The app needs no web permission (camera, notifications, clipboard-read, ...): deny every request and check. */
export function denyAllPermissions(session: Session, logger: ShellLogger): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    logger.warn({ permission }, 'denied permission request')
    callback(false)
  })
  session.setPermissionCheckHandler(() => false)
  session.setDevicePermissionHandler(() => false)
}

/** Applies the guards to every webContents the app ever creates, not just the main window's. */
export function installWebContentsGuards(origin: AppOrigin, logger: ShellLogger): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, origin, logger))
}
