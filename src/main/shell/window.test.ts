import { beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeBrowserWindow } from './fake-electron'
import { createMainWindow, focusWindow } from './window'

vi.mock('electron', async () => (await import('./fake-electron')).electronModule)

beforeEach(() => {
  FakeBrowserWindow.instances = []
})

describe('main window', () => {
  it('is isolated and sandboxed, with no Node, webview or mixed content in the page', () => {
    createMainWindow({ preload: '/app/out/preload/index.cjs' })
    const [win] = FakeBrowserWindow.instances
    expect(win?.options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
    })
  })

  // That the preload is CommonJS (so the sandbox can stay on) is a property of the build:
  // built-main.test.ts reads the built out/preload/index.cjs the window is given.

  it('stays hidden until its first paint, then shows', () => {
    createMainWindow({ preload: '/p.cjs' })
    const win = FakeBrowserWindow.instances[0]
    expect(win?.options.show).toBe(false)
    win?.emit('ready-to-show')
    expect(win?.show).toHaveBeenCalledOnce()
  })

  it('focusing restores a minimized window and brings it to the front', () => {
    const win = createMainWindow({ preload: '/p.cjs' })
    const fakeWin = FakeBrowserWindow.instances[0]
    if (!fakeWin) throw new Error('no window')
    fakeWin.minimized = true
    focusWindow(win)
    expect(fakeWin.restore).toHaveBeenCalledOnce()
    expect(fakeWin.show).toHaveBeenCalledOnce()
    expect(fakeWin.focus).toHaveBeenCalledOnce()
  })
})
