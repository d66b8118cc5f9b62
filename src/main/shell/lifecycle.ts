import { homedir } from 'node:os'
import { join } from 'node:path'
import { createRouterClient } from '@orpc/server'
import { app, dialog, session, type BrowserWindow } from 'electron'
import type { Core, CoreOptions } from '../core/create-core'
import { resolvePaths, type AppPaths } from '../core/paths'
import { autostartPath } from './autostart'
import { DesktopShell, type NotificationSource } from './desktop-shell'
import { startsHidden } from './desktop-rules'
import type { ShellLogger } from './logger'
import { createAppOrigin } from './origin'
import { handleAppProtocol, registerAppScheme } from './protocol'
import { installRpcBridge, type RpcBridge } from './rpc-bridge'
import { denyAllPermissions, installWebContentsGuards } from './security'
import { createSafeStorageCodec, electronSettingsFile } from './settings-store'
import { createMainWindow, focusWindow } from './window'

/** What the shell needs from the core: the router to serve, settings changes, and a way to shut it down. */
export type ShellCore = Pick<Core, 'router' | 'logger' | 'dispose'> & { settings?: Pick<Core['settings'], 'onChange' | 'get'> }

export interface DesktopDeps {
  createCore(opts: CoreOptions): Promise<ShellCore>
  createLogger(paths: AppPaths): Promise<Core['logger']>
  files: {
    /** out/preload/index.cjs */
    preload: string
    /** out/renderer */
    renderer: string
    /** out/main/pool-worker.js */
    worker: string
    icon: string
  }
  env: NodeJS.ProcessEnv
  /** How long quitting waits for the core to drain before exiting anyway. */
  quitTimeoutMs?: number
  /** Where SIGINT/SIGTERM come from (the process; an emitter in tests). */
  signals?: { on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown }
  /** The command line (default process.argv): --hidden starts with the tray only. */
  argv?: readonly string[]
  /** The user's home (default os.homedir()): the autostart entry goes to ~/.config/autostart. */
  home?: string
  /** Native notifications from the core's notification stream (see connectNotifications). */
  notifications?: NotificationSource
}

export interface DesktopApp {
  /** Settles once the core runs and the window is loading (false if startup failed). */
  readonly ready: Promise<boolean>
  /** Once quitting started: settles after the core drained (or timed out) and app.exit was called. */
  whenShutDown(): Promise<void> | undefined
  /** A quit the user asked for (tray Quit): asks first when models are loaded, then quits. */
  requestQuit(): Promise<void>
}

const QUIT_TIMEOUT_MS = 5000

async function settleWithin(promise: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms)
  })
  try {
    return await Promise.race([promise.then(() => 'done' as const), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The desktop app: one instance per data directory, a hardened window over the core's router, and a
 * quit that waits (bounded) for the core to drain. Returns null in a second instance, which hands over
 * to the first (focusing its window) and quits.
 */
export function startDesktop(deps: DesktopDeps): DesktopApp | null {
  const paths = resolvePaths(deps.env)
  // Chromium's profile and the single-instance lock live with our data: one app per INFERADMIN_HOME.
  app.setPath('userData', join(paths.dataDir, 'electron'))
  registerAppScheme()
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return null
  }
  app.enableSandbox()

  const origin = createAppOrigin(app.isPackaged ? undefined : deps.env.ELECTRON_RENDERER_URL)
  let logger: ShellLogger | undefined
  let window: BrowserWindow | null = null
  let bridge: RpcBridge | undefined
  let desktopShell: DesktopShell | undefined

  app.on('second-instance', () => {
    if (window) focusWindow(window)
  })
  app.on('window-all-closed', () => app.quit())

  const corePromise = app.whenReady().then(async () => {
    const log = await deps.createLogger(paths)
    logger = log
    installWebContentsGuards(origin, log)
    denyAllPermissions(session.defaultSession, log)
    handleAppProtocol(deps.files.renderer)
    const core = await deps.createCore({
      mode: 'desktop',
      version: app.getVersion(),
      paths,
      openSettingsFile: electronSettingsFile(paths.configDir),
      secretCodec: createSafeStorageCodec(log),
      workerFile: deps.files.worker,
      env: deps.env,
      logger: log,
    })
    bridge = installRpcBridge({ router: core.router, origin, logger: log })
    desktopShell = new DesktopShell({
      client: createRouterClient(core.router, { context: { transport: 'ipc' } }),
      settings: core.settings,
      notifications: deps.notifications,
      window: () => window,
      origin,
      logger: log,
      noticeFlagFile: join(paths.dataDir, 'electron', 'closed-to-tray-notice'),
      autostartFile: autostartPath(deps.env, deps.home ?? homedir()),
      env: deps.env,
      execPath: process.execPath,
      isPackaged: app.isPackaged,
    })
    await desktopShell.start()
    // Tray only (login with --hidden, or "Start minimised"), unless there is no tray to come back from.
    const hidden = startsHidden(deps.argv ?? process.argv, desktopShell.desktopPrefs) && desktopShell.trayAlive
    const win = createMainWindow({ preload: deps.files.preload, icon: deps.files.icon, showWhenReady: !hidden })
    window = win
    desktopShell.attachWindow(win)
    win.on('closed', () => {
      window = null
    })
    win.webContents.on('render-process-gone', (_event, details) => log.error({ ...details }, 'renderer process gone'))
    win.loadURL(origin.startUrl).catch((err: unknown) => log.error({ url: origin.startUrl, err: String(err) }, 'could not load the UI'))
    return core
  })

  const ready = corePromise.then(
    () => true,
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err)
      logger?.error({ err: message }, 'desktop startup failed')
      dialog.showErrorBox('InferAdmin could not start', message)
      app.exit(1)
      return false
    },
  )

  let shutdown: Promise<void> | undefined
  const quit = (): Promise<void> =>
    (shutdown ??= (async () => {
      const drained = settleWithin(
        corePromise.then(async (core) => {
          desktopShell?.dispose()
          bridge?.dispose()
          await core.dispose()
        }),
        deps.quitTimeoutMs ?? QUIT_TIMEOUT_MS,
      )
      const outcome = await drained.catch(() => 'failed' as const)
      if (outcome !== 'done') logger?.warn({ outcome }, 'core did not shut down cleanly')
      app.exit(outcome === 'done' ? 0 : 1)
    })())

  app.on('before-quit', (event) => {
    // app.exit() does not emit before-quit, so this holds every quit until the core has drained.
    event.preventDefault()
    desktopShell?.markQuitting()
    void quit()
  })
  const signals = deps.signals ?? process
  // `on`, not `once`: a repeated signal (terminal Ctrl+C plus the launcher forwarding it) must not fall
  // through to Node's default handler and kill the process mid-drain; the quit timeout bounds the wait.
  signals.on('SIGINT', () => app.quit())
  signals.on('SIGTERM', () => app.quit())

  return { ready, whenShutDown: () => shutdown, requestQuit: () => desktopShell?.requestQuit() ?? Promise.resolve(app.quit()) }
}
