/**
 * Test support: an in-memory stand-in for the parts of the `electron` module the shell uses (the Electron
 * binary cannot run here). Test files do
 *   vi.mock('electron', async () => (await import('./fake-electron')).electronModule)
 * and drive it through `fake`. Each test file gets its own copy (vitest isolates module registries).
 */
import { EventEmitter } from 'node:events'
import { vi } from 'vitest'

export interface FakeEvent {
  defaultPrevented: boolean
  preventDefault(): void
  url?: string
}

export function fakeEvent(fields: { url?: string } = {}): FakeEvent {
  const event: FakeEvent = {
    ...fields,
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true
    },
  }
  return event
}

type WindowOpenHandler = (details: { url: string }) => { action: 'allow' | 'deny' }

export class FakeWebContents extends EventEmitter {
  windowOpenHandler: WindowOpenHandler | undefined
  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = []
  readonly webContents = new FakeWebContents()
  readonly loadURL = vi.fn(async (_url: string) => undefined)
  readonly show = vi.fn(() => void (this.visible = true))
  readonly hide = vi.fn(() => void (this.visible = false))
  readonly focus = vi.fn()
  readonly restore = vi.fn()
  minimized = false
  visible = false
  destroyed = false
  constructor(readonly options: Record<string, unknown>) {
    super()
    FakeBrowserWindow.instances.push(this)
    // Like Electron: every new webContents is announced on the app.
    fake.app.emit('web-contents-created', fakeEvent(), this.webContents)
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  /** Like Electron: 'close' first (preventable), then the window is gone and 'closed' fires. */
  close(): FakeEvent {
    const event = fakeEvent()
    this.emit('close', event)
    if (!event.defaultPrevented) {
      this.destroyed = true
      this.visible = false
      this.emit('closed')
    }
    return event
  }
  isMinimized(): boolean {
    return this.minimized
  }
  isVisible(): boolean {
    return this.visible
  }
}

type PermissionRequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void) => void

export class FakeSession {
  requestHandler: PermissionRequestHandler | undefined
  checkHandler: ((...args: unknown[]) => boolean) | undefined
  deviceHandler: ((...args: unknown[]) => boolean) | undefined
  setPermissionRequestHandler(handler: PermissionRequestHandler): void {
    this.requestHandler = handler
  }
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void {
    this.checkHandler = handler
  }
  setDevicePermissionHandler(handler: (...args: unknown[]) => boolean): void {
    this.deviceHandler = handler
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false
  gotLock = true
  private readyResolve: (() => void) | undefined
  private readyPromise = new Promise<void>((resolve) => {
    this.readyResolve = resolve
  })
  readonly setPath = vi.fn()
  readonly quit = vi.fn()
  readonly exit = vi.fn()
  readonly enableSandbox = vi.fn()
  readonly requestSingleInstanceLock = vi.fn(() => this.gotLock)
  ready = false
  isReady(): boolean {
    return this.ready
  }
  getVersion(): string {
    return '1.2.3'
  }
  whenReady(): Promise<void> {
    return this.readyPromise
  }
  /** Test control: fire 'ready'. */
  becomeReady(): void {
    this.ready = true
    this.readyResolve?.()
  }
}

/** A decoded image: the PNG it was made from. */
export class FakeNativeImage {
  constructor(readonly png: Buffer) {}
  isEmpty(): boolean {
    return this.png.length === 0
  }
}

/** A built menu: the template as given (clicks included). */
export interface FakeMenu {
  template: Record<string, unknown>[]
}

/** Like Electron's Tray on Linux: not before 'ready', every method but isDestroyed throws after destroy(). */
export class FakeTray extends EventEmitter {
  static instances: FakeTray[] = []
  image: FakeNativeImage
  menu: FakeMenu | null = null
  tooltip = ''
  private dead = false
  readonly calls = { setContextMenu: 0, setImage: 0, setToolTip: 0 }
  constructor(image: FakeNativeImage) {
    super()
    if (!fake.app.isReady()) throw new Error('Cannot create Tray before app is ready')
    this.image = image
    FakeTray.instances.push(this)
  }
  private alive(): void {
    if (this.dead) throw new Error('Tray is destroyed')
  }
  setContextMenu(menu: FakeMenu | null): void {
    this.alive()
    this.calls.setContextMenu++
    this.menu = menu
  }
  setImage(image: FakeNativeImage): void {
    this.alive()
    this.calls.setImage++
    this.image = image
  }
  setToolTip(text: string): void {
    this.alive()
    this.calls.setToolTip++
    this.tooltip = text
  }
  destroy(): void {
    this.alive()
    this.dead = true
  }
  isDestroyed(): boolean {
    return this.dead
  }
}

/** Like Electron's Notification: not before 'ready'; shown only by show(); the test fires 'click' / 'close'. */
export class FakeNotification extends EventEmitter {
  static instances: FakeNotification[] = []
  static supported = true
  static isSupported(): boolean {
    return FakeNotification.supported
  }
  shown = false
  constructor(readonly options: { title: string; body: string; urgency?: string }) {
    super()
    if (!fake.app.isReady()) throw new Error('Cannot create Notification before app is ready')
    FakeNotification.instances.push(this)
  }
  show(): void {
    this.shown = true
    this.emit('show', fakeEvent())
  }
}

export const fake = {
  app: new FakeApp(),
  ipcMain: new EventEmitter(),
  session: new FakeSession(),
  protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
  registerSchemesAsPrivileged: vi.fn(),
  openExternal: vi.fn(async (_url: string) => undefined),
  showErrorBox: vi.fn(),
  /** The answer of the next message boxes: 0 = the first button. */
  messageBoxResponse: 0,
  showMessageBox: vi.fn(async (_options: Record<string, unknown>) => ({ response: fake.messageBoxResponse, checkboxChecked: false })),
  clipboardText: '',
  writeText: vi.fn((text: string) => void (fake.clipboardText = text)),
  safeStorage: {
    available: true,
    backend: 'gnome_libsecret' as string,
    isEncryptionAvailable: vi.fn(() => fake.safeStorage.available),
    getSelectedStorageBackend: vi.fn(() => fake.safeStorage.backend),
    encryptString: vi.fn((plain: string) => Buffer.from(`enc(${Buffer.from(plain).toString('base64')})`)),
    decryptString: vi.fn((data: Buffer) => {
      const m = /^enc\((.*)\)$/.exec(data.toString())
      if (!m?.[1]) throw new Error('not encrypted by the fake')
      return Buffer.from(m[1], 'base64').toString()
    }),
  },
}

export const electronModule = {
  app: fake.app,
  ipcMain: fake.ipcMain,
  BrowserWindow: FakeBrowserWindow,
  session: { defaultSession: fake.session },
  protocol: {
    registerSchemesAsPrivileged: fake.registerSchemesAsPrivileged,
    handle: (scheme: string, handler: (request: Request) => Promise<Response>) => fake.protocolHandlers.set(scheme, handler),
  },
  shell: { openExternal: fake.openExternal },
  dialog: { showErrorBox: fake.showErrorBox, showMessageBox: fake.showMessageBox },
  clipboard: { writeText: fake.writeText },
  Tray: FakeTray,
  Notification: FakeNotification,
  Menu: { buildFromTemplate: (template: Record<string, unknown>[]): FakeMenu => ({ template }) },
  nativeImage: { createFromBuffer: (png: Buffer) => new FakeNativeImage(png) },
  safeStorage: fake.safeStorage,
}

/** A recording ShellLogger. */
export function recordingLogger(): {
  lines: { level: string; obj: object; msg: string }[]
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
} {
  const lines: { level: string; obj: object; msg: string }[] = []
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  }
}

/** Fresh state for the next test: no listeners, no windows, mocks cleared, the lock available. */
export function resetFakeElectron(): void {
  fake.app.removeAllListeners()
  fake.ipcMain.removeAllListeners()
  fake.app.gotLock = true
  fake.app.isPackaged = false
  fake.app.ready = false
  fake.messageBoxResponse = 0
  fake.clipboardText = ''
  FakeBrowserWindow.instances = []
  FakeTray.instances = []
  FakeNotification.instances = []
  FakeNotification.supported = true
  fake.protocolHandlers.clear()
  fake.safeStorage.available = true
  fake.safeStorage.backend = 'gnome_libsecret'
  vi.clearAllMocks()
}
