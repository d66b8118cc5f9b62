import { app, clipboard, dialog, shell, type BrowserWindow } from 'electron'
import type { RouterClient } from '@orpc/server'
import type { AppRouter } from '../core/router'
import type { SettingsService } from '../core/settings/settings-service'
import { AutostartFile, autostartTarget } from './autostart'
import { DesktopNotifier, type ShellNotification } from './desktop-notifications'
import { CLOSED_TO_TRAY_NOTICE, desktopPrefs, hidesOnClose, OnceFlag, quitConfirmation, type DesktopPrefs } from './desktop-rules'
import type { ShellLogger } from './logger'
import { routeUrl, type AppOrigin } from './origin'
import { DesktopTray } from './tray'
import { runTrayAction } from './tray-actions'
import type { TrayAction } from './tray-menu'
import { TrayState } from './tray-state'
import { focusWindow } from './window'

/**
 * The desktop around the window (issue #17 points 1, 2, 3, 5): tray, notifications, close to tray, the quit
 * question and the autostart entry. Adapters only: the state comes from the core's router (in process), the rules
 * from plain modules (tray-menu, desktop-rules, autostart).
 */

export type ShellClient = RouterClient<AppRouter>

/** Where notifications come from (default: the core's `notifications.watch`). */
export type NotificationSource = (
  client: ShellClient,
  signal: AbortSignal,
) => AsyncIterable<ShellNotification> | Promise<AsyncIterable<ShellNotification>>

const coreNotifications: NotificationSource = (client, signal) => client.notifications.watch(undefined, { signal })

export interface DesktopShellOptions {
  client: ShellClient
  /** The desktop preferences (autostart, start minimised) are read here; a change applies at once. */
  settings?: Pick<SettingsService, 'onChange' | 'get'>
  notifications?: NotificationSource
  /** The main window now (null once closed). */
  window(): BrowserWindow | null
  origin: AppOrigin
  logger: ShellLogger
  /** Remembers that the closed-to-tray notice was shown. */
  noticeFlagFile: string
  autostartFile: string
  env: NodeJS.ProcessEnv
  execPath: string
  isPackaged: boolean
}

const ACTION_ROUTE: Partial<Record<TrayAction['type'], string>> = {
  'gateway.load': '/deployments',
  'gateway.unload': '/deployments',
  'deployment.start': '/deployments',
  'deployment.stop': '/deployments',
  'webui.deploy': '/webui',
  'webui.open': '/webui',
  'downloads.pause': '/models',
  'downloads.resume': '/models',
}

export class DesktopShell {
  private readonly abort = new AbortController()
  private readonly state: TrayState
  private readonly notifier: DesktopNotifier
  private tray: DesktopTray | null = null
  private quitting = false
  private prefs: DesktopPrefs = { autostart: false, startMinimised: false }
  private unsubscribe: (() => void) | undefined

  constructor(private readonly o: DesktopShellOptions) {
    const c = o.client
    this.notifier = new DesktopNotifier({ openRoute: (route) => this.openRoute(route), logger: o.logger })
    this.state = new TrayState({
      sources: {
        gpu: (signal) => c.gpu.watch(undefined, { signal }),
        deployments: (signal) => c.deployments.watch(undefined, { signal }),
        gateway: (signal) => c.gateway.watch(undefined, { signal }),
        webui: (signal) => c.webui.watch(undefined, { signal }),
        jobs: (signal) => c.jobs.watch(undefined, { signal }),
      },
      onChange: () => this.tray?.changed(),
      logger: o.logger,
    })
  }

  /** True while the tray icon exists (closing the window then hides it). */
  get trayAlive(): boolean {
    return this.tray?.alive ?? false
  }

  get desktopPrefs(): DesktopPrefs {
    return this.prefs
  }

  /** Reads the settings, creates the tray, follows the core; call once after app `ready`. */
  async start(): Promise<void> {
    const { logger } = this.o
    this.prefs = desktopPrefs(this.o.settings?.get())
    try {
      this.tray = new DesktopTray({
        input: () => this.state.input,
        run: (action) => void this.run(action),
        activate: () => this.openRoute('/'),
      })
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'no tray icon: closing the window quits')
    }
    void this.state.start()
    void this.followNotifications(this.o.notifications ?? coreNotifications)
    const sub = this.o.settings?.onChange((next) => void this.applyPrefs(desktopPrefs(next)))
    this.unsubscribe = sub ? () => sub.dispose() : undefined
    await this.syncAutostart()
  }

  /** Close to tray: hides the window while the tray exists; the first time, says where it went. */
  attachWindow(win: BrowserWindow): void {
    win.on('close', (event) => {
      if (!hidesOnClose({ quitting: this.quitting, trayAlive: this.trayAlive })) return
      event.preventDefault()
      win.hide()
      void this.noticeOnce()
    })
  }

  /** Shows the window; a route other than '/' also opens that page. */
  openRoute(route: string): void {
    const win = this.o.window()
    if (!win || win.isDestroyed()) return
    focusWindow(win)
    if (route === '/') return
    win.loadURL(routeUrl(this.o.origin.startUrl, route)).catch((err: unknown) => {
      this.o.logger.warn({ route, err: String(err) }, 'could not open the page')
    })
  }

  /** A quit the user asked for (tray, menu): asks first when models are loaded. */
  async requestQuit(): Promise<void> {
    const question = quitConfirmation(this.state.input)
    if (question) {
      const win = this.o.window()
      const { response } = win && !win.isDestroyed() ? await dialog.showMessageBox(win, question) : await dialog.showMessageBox(question)
      if (response !== 0) return
    }
    app.quit()
  }

  /** Quitting: from now on a window close closes. */
  markQuitting(): void {
    this.quitting = true
  }

  dispose(): void {
    this.quitting = true
    this.abort.abort()
    this.unsubscribe?.()
    this.state.dispose()
    this.notifier.dispose()
    this.tray?.destroy()
    this.tray = null
  }

  private async run(action: TrayAction): Promise<void> {
    const fx = {
      openWindow: (route: string) => this.openRoute(route),
      requestQuit: () => void this.requestQuit(),
      copyText: (text: string) => clipboard.writeText(text),
      openExternal: (url: string) => shell.openExternal(url),
    }
    await runTrayAction(action, this.o.client, fx, this.o.logger, (message) => {
      this.notifier.show({ title: 'That did not work', body: message, route: ACTION_ROUTE[action.type] ?? '/', urgency: 'normal' })
    })
  }

  private async followNotifications(source: NotificationSource): Promise<void> {
    const signal = this.abort.signal
    try {
      await this.notifier.follow(await source(this.o.client, signal), signal)
    } catch (err) {
      if (!signal.aborted) this.o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'no notification stream')
    }
  }

  private async noticeOnce(): Promise<void> {
    const flag = new OnceFlag(this.o.noticeFlagFile)
    try {
      if (await flag.isSet()) return
      await flag.set()
      this.notifier.show({ ...CLOSED_TO_TRAY_NOTICE, route: '/', urgency: 'normal' })
    } catch (err) {
      this.o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'closed-to-tray notice')
    }
  }

  private async applyPrefs(prefs: DesktopPrefs): Promise<void> {
    const changed = prefs.autostart !== this.prefs.autostart || prefs.startMinimised !== this.prefs.startMinimised
    this.prefs = prefs
    if (changed) await this.syncAutostart()
  }

  /** Writes or removes ~/.config/autostart/inferadmin.desktop; a development Electron never touches it. */
  private async syncAutostart(): Promise<void> {
    const { logger } = this.o
    let target
    try {
      target = autostartTarget(this.o.env, this.o.execPath, this.o.isPackaged)
    } catch (err) {
      if (this.prefs.autostart) logger.warn({ err: (err as Error).message }, 'autostart not applied')
      return
    }
    try {
      const outcome = await new AutostartFile(this.o.autostartFile).apply(
        { enabled: this.prefs.autostart, hidden: this.prefs.startMinimised },
        target,
      )
      if (outcome !== 'unchanged' && outcome !== 'absent') logger.info({ file: this.o.autostartFile, outcome }, 'autostart entry')
    } catch (err) {
      logger.warn({ file: this.o.autostartFile, err: (err as Error).message }, 'could not write the autostart entry')
    }
  }
}
