import { EventEmitter } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { RPC_PORT_CHANNEL } from '../../shared/ipc'
import type { CoreOptions } from '../core/create-core'
import { silentLogger } from '../core/logging/logger'
import { fake, fakeEvent, FakeBrowserWindow, FakeTray, resetFakeElectron } from './fake-electron'
import { startDesktop, type DesktopApp, type DesktopDeps, type ShellCore } from './lifecycle'
import { testCore } from './test-core'

vi.mock('electron', async () => (await import('./fake-electron')).electronModule)
vi.mock('electron-store', () => ({ default: class {} }))

let home: string

beforeEach(() => {
  resetFakeElectron()
  home = mkdtempSync(join(tmpdir(), 'inferadmin-shell-'))
})

afterEach(() => {
  vi.useRealTimers()
})

function start(
  opts: { dispose?: () => Promise<void>; createCore?: DesktopDeps['createCore']; env?: NodeJS.ProcessEnv; argv?: string[] } = {},
) {
  const dispose = vi.fn(opts.dispose ?? (async () => undefined))
  const core: ShellCore = { router: testCore().router, logger: silentLogger(), dispose }
  const createCore = vi.fn(opts.createCore ?? (async (_opts: CoreOptions) => core))
  const signals = new EventEmitter()
  const desktop = startDesktop({
    createCore,
    createLogger: async () => silentLogger(),
    files: {
      preload: '/app/out/preload/index.cjs',
      renderer: '/app/out/renderer',
      worker: '/app/out/main/pool-worker.js',
      icon: '/app/resources/icon.png',
    },
    env: { INFERADMIN_HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), ...opts.env },
    home,
    argv: opts.argv ?? ['inferadmin'],
    signals,
  })
  return { desktop, createCore, dispose, signals }
}

async function startReady(
  opts: Parameters<typeof start>[0] = {},
): Promise<ReturnType<typeof start> & { desktop: DesktopApp; window: FakeBrowserWindow }> {
  const started = start(opts)
  if (!started.desktop) throw new Error('expected the first instance')
  fake.app.becomeReady()
  expect(await started.desktop.ready).toBe(true)
  const window = FakeBrowserWindow.instances[0]
  if (!window) throw new Error('no window')
  return { ...started, desktop: started.desktop, window }
}

function quitRequest(): ReturnType<typeof fakeEvent> {
  const event = fakeEvent()
  fake.app.emit('before-quit', event)
  return event
}

describe('single instance', () => {
  it('a second instance quits without starting anything', () => {
    fake.app.gotLock = false
    const { desktop, createCore } = start()
    expect(desktop).toBeNull()
    expect(fake.app.quit).toHaveBeenCalledOnce()
    expect(createCore).not.toHaveBeenCalled()
    expect(FakeBrowserWindow.instances).toHaveLength(0)
    expect(fake.ipcMain.listenerCount(RPC_PORT_CHANNEL)).toBe(0)
  })

  it('the first instance brings its window to the front when another is launched', async () => {
    const { window } = await startReady()
    window.minimized = true
    fake.app.emit('second-instance', fakeEvent(), ['inferadmin'], '/')
    expect(window.restore).toHaveBeenCalledOnce()
    expect(window.focus).toHaveBeenCalledOnce()
  })

  it('is one instance per data directory', () => {
    start()
    expect(fake.app.setPath).toHaveBeenCalledWith('userData', join(home, 'electron'))
    expect(fake.app.setPath.mock.invocationCallOrder[0]).toBeLessThan(fake.app.requestSingleInstanceLock.mock.invocationCallOrder[0] ?? 0)
  })
})

describe('startup', () => {
  it('runs the core in desktop mode and shows the app from app://inferadmin/', async () => {
    const { createCore, window } = await startReady()
    const opts = createCore.mock.calls[0]?.[0]
    expect(opts).toMatchObject({
      mode: 'desktop',
      version: '1.2.3',
      paths: { configDir: home, dataDir: home },
      workerFile: '/app/out/main/pool-worker.js',
    })
    expect(opts?.secretCodec.kind).toBe('Electron safeStorage (gnome_libsecret)')
    expect(fake.app.enableSandbox).toHaveBeenCalledOnce()
    expect(fake.protocolHandlers.has('app')).toBe(true)
    expect(fake.session.requestHandler).toBeDefined()
    expect(fake.ipcMain.listenerCount(RPC_PORT_CHANNEL)).toBe(1)
    expect(window.loadURL).toHaveBeenCalledWith('app://inferadmin/')
    expect(window.webContents.windowOpenHandler).toBeDefined()
  })

  it('uses the dev server only when running unpackaged', async () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173' }
    expect((await startReady({ env })).window.loadURL).toHaveBeenCalledWith('http://localhost:5173/')
    resetFakeElectron()
    fake.app.isPackaged = true
    expect((await startReady({ env })).window.loadURL).toHaveBeenCalledWith('app://inferadmin/')
  })

  it('reports a core that fails to start and exits with an error', async () => {
    const { desktop } = start({ createCore: async () => Promise.reject(new Error('settings dir is read-only')) })
    fake.app.becomeReady()
    expect(await desktop?.ready).toBe(false)
    expect(fake.showErrorBox).toHaveBeenCalledWith('InferAdmin could not start', 'settings dir is read-only')
    expect(fake.app.exit).toHaveBeenCalledWith(1)
    expect(FakeBrowserWindow.instances).toHaveLength(0)
  })
})

describe('quit', () => {
  it('holds the quit until the core has drained, then exits cleanly', async () => {
    let drained: () => void = () => undefined
    let disposing: () => void = () => undefined
    const disposeStarted = new Promise<void>((resolve) => (disposing = resolve))
    const { desktop, dispose } = await startReady({
      dispose: () => {
        disposing()
        return new Promise<void>((resolve) => (drained = resolve))
      },
    })
    expect(quitRequest().defaultPrevented).toBe(true)
    expect(quitRequest().defaultPrevented).toBe(true)
    await disposeStarted
    expect(dispose).toHaveBeenCalledOnce()
    expect(fake.app.exit).not.toHaveBeenCalled()
    drained()
    await desktop.whenShutDown()
    expect(fake.app.exit).toHaveBeenCalledExactlyOnceWith(0)
    expect(fake.ipcMain.listenerCount(RPC_PORT_CHANNEL)).toBe(0)
  })

  it('exits after 5 s when the core never finishes draining', async () => {
    vi.useFakeTimers()
    const { desktop } = await startReady({ dispose: () => new Promise<void>(() => undefined) })
    quitRequest()
    await vi.advanceTimersByTimeAsync(4999)
    expect(fake.app.exit).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    await desktop.whenShutDown()
    expect(fake.app.exit).toHaveBeenCalledExactlyOnceWith(1)
  })

  it('quits on SIGTERM and SIGINT, and when the last window closes', async () => {
    const { signals } = await startReady()
    signals.emit('SIGTERM')
    signals.emit('SIGINT')
    fake.app.emit('window-all-closed')
    expect(fake.app.quit).toHaveBeenCalledTimes(3)
  })
})

describe('tray and close to tray', () => {
  it('creates one tray once the core runs, hides the window on close, and destroys the tray on quit', async () => {
    const { desktop, window, dispose } = await startReady()
    expect(FakeTray.instances).toHaveLength(1)
    expect(window.close().defaultPrevented).toBe(true)
    expect(window.hide).toHaveBeenCalledOnce()
    expect(fake.app.quit).not.toHaveBeenCalled()
    fake.app.emit('second-instance', fakeEvent(), ['inferadmin'], '/')
    expect(window.show).toHaveBeenCalled()
    quitRequest()
    await desktop.whenShutDown()
    expect(FakeTray.instances[0]?.isDestroyed()).toBe(true)
    expect(dispose).toHaveBeenCalledOnce()
    expect(fake.app.exit).toHaveBeenCalledExactlyOnceWith(0)
    expect(FakeTray.instances).toHaveLength(1)
  })

  it('shows the window when ready, but not when started with --hidden (tray only)', async () => {
    const shown = await startReady()
    shown.window.emit('ready-to-show')
    expect(shown.window.show).toHaveBeenCalledOnce()
    resetFakeElectron()
    const hidden = await startReady({ argv: ['inferadmin', '--hidden'] })
    hidden.window.emit('ready-to-show')
    expect(hidden.window.show).not.toHaveBeenCalled()
    expect(FakeTray.instances).toHaveLength(1)
  })

  it('Quit from the tray with no model loaded quits and drains the core', async () => {
    const { desktop, dispose } = await startReady()
    fake.app.quit.mockImplementation(() => void quitRequest())
    await desktop.requestQuit()
    await desktop.whenShutDown()
    expect(fake.showMessageBox).not.toHaveBeenCalled()
    expect(dispose).toHaveBeenCalledOnce()
  })
})
