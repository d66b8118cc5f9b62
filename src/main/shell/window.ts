import { BrowserWindow } from 'electron'

export interface MainWindowOptions {
  /** Built CommonJS preload (out/preload/index.cjs): CommonJS so the sandbox can stay on. */
  preload: string
  icon?: string
  /** Show once the first paint is ready (default true); false starts with the tray only. */
  showWhenReady?: boolean
}

/**
 * The one window. webPreferences follow the Electron security checklist: isolated, sandboxed, no Node in
 * the page, its workers or subframes, no <webview>, same-origin policy on, no mixed content. The options
 * object is written out literally so Electronegativity can read it in the build.
 */
export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'InferAdmin',
    icon: opts.icon,
    autoHideMenuBar: true,
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // Middle-click would otherwise be a second way to open windows (Electronegativity AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
    },
  })
  if (opts.showWhenReady !== false) win.once('ready-to-show', () => win.show())
  return win
}

/** Brings an existing window to the front (second instance, tray click). */
export function focusWindow(win: BrowserWindow): void {
  if (win.isDestroyed()) return
  if (win.isMinimized()) win.restore()
  if (!win.isVisible()) win.show()
  win.focus()
}
