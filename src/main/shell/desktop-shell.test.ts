import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRouterClient } from '@orpc/server'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Settings } from '../../shared/settings'
import { Publisher } from '../core/events/publisher'
import { DesktopShell, type NotificationSource } from './desktop-shell'
import type { ShellNotification } from './desktop-notifications'
import { fake, FakeBrowserWindow, FakeNotification, FakeTray, recordingLogger, resetFakeElectron, type FakeMenu } from './fake-electron'
import { createAppOrigin } from './origin'
import { deployment, gatewayModel, gatewayStatus, gpus, testCore, webuiStatus } from './test-core'

vi.mock('electron', async () => (await import('./fake-electron')).electronModule)

let dir: string

beforeEach(() => {
  resetFakeElectron()
  fake.app.becomeReady()
  dir = mkdtempSync(join(tmpdir(), 'inferadmin-desktop-shell-'))
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
})

afterEach(() => {
  vi.useRealTimers()
})

type MenuEntry = { id: string; label?: string; enabled?: boolean; click?: () => void; submenu?: MenuEntry[] }

function entry(menu: FakeMenu | null, id: string): MenuEntry | undefined {
  const walk = (items: MenuEntry[]): MenuEntry | undefined => {
    for (const i of items) {
      if (i.id === id) return i
      const inner = i.submenu ? walk(i.submenu) : undefined
      if (inner) return inner
    }
    return undefined
  }
  return walk((menu?.template ?? []) as unknown as MenuEntry[])
}

function setup(
  o: { settings?: Record<string, unknown>; notifications?: NotificationSource; env?: NodeJS.ProcessEnv; isPackaged?: boolean } = {},
) {
  const core = testCore()
  const settingsChanges = new Publisher<{ next: Settings; prev: Settings }>()
  let current = o.settings ?? {}
  const settings = {
    get: () => current as Settings,
    onChange: (l: (next: Settings, prev: Settings) => void) => settingsChanges.subscribe(({ next, prev }) => l(next, prev)),
    change(next: Record<string, unknown>) {
      const prev = current
      current = next
      settingsChanges.publish({ next: next as Settings, prev: prev as Settings })
    },
  }
  const win = new FakeBrowserWindow({})
  win.visible = true
  const logger = recordingLogger()
  const autostartFile = join(dir, 'config/autostart/inferadmin.desktop')
  const shell = new DesktopShell({
    client: createRouterClient(core.router, { context: { transport: 'ipc' } }),
    settings,
    notifications: o.notifications,
    window: () => (win.isDestroyed() ? null : (win as never)),
    origin: createAppOrigin(),
    logger,
    noticeFlagFile: join(dir, 'electron/closed-to-tray-notice'),
    autostartFile,
    env: o.env ?? {},
    execPath: '/opt/InferAdmin/inferadmin',
    isPackaged: o.isPackaged ?? true,
  })
  shell.attachWindow(win as never)
  return { core, shell, win, logger, settings, autostartFile }
}

const tray = (): FakeTray => {
  const [t] = FakeTray.instances
  if (!t) throw new Error('no tray')
  return t
}

describe('tray', () => {
  it('is created once with the state, and its menu is set again after each change, at most once a second', async () => {
    const { core, shell } = setup()
    await shell.start()
    expect(FakeTray.instances).toHaveLength(1)
    expect(tray().calls.setContextMenu).toBe(1)
    // The first snapshots arrive within the first second: one more rebuild at its end.
    await vi.advanceTimersByTimeAsync(1000)
    expect(tray().calls.setContextMenu).toBe(2)
    core.set('gpus', gpus(12390, 2048))
    core.set('deployments', [deployment('d1', 'Qwen3-8B', 'ready')])
    core.set('gateway', gatewayStatus([gatewayModel('d1', 'qwen3-8b', 'loaded')]))
    await vi.advanceTimersByTimeAsync(999)
    expect(tray().calls.setContextMenu).toBe(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(tray().calls.setContextMenu).toBe(3)
    expect(entry(tray().menu, 'gpu:0')?.label).toBe('GPU 0 · RTX 4090 · 12.1 / 24 GiB · 45 %')
    expect(entry(tray().menu, 'model:d1')?.label).toBe('qwen3-8b · loaded')
    expect(tray().tooltip).toBe('InferAdmin: serving 1 model · VRAM 14.1 / 48 GiB')
    expect(FakeTray.instances).toHaveLength(1)
    shell.dispose()
  })

  it('sets a new icon only when what it shows changes (state or VRAM level)', async () => {
    const { core, shell } = setup()
    await shell.start()
    core.set('gpus', gpus(12390))
    await vi.advanceTimersByTimeAsync(1000)
    const images = tray().calls.setImage
    expect(images).toBe(1)
    core.set('gpus', gpus(12400))
    await vi.advanceTimersByTimeAsync(1000)
    expect(tray().calls.setImage).toBe(images)
    core.set('gpus', gpus(24000))
    await vi.advanceTimersByTimeAsync(1000)
    expect(tray().calls.setImage).toBe(images + 1)
    expect(tray().image.png.subarray(1, 4).toString()).toBe('PNG')
    shell.dispose()
  })

  it('runs the item action through the core: unload, deploy Open WebUI, copy the gateway URL', async () => {
    const { core, shell } = setup()
    core.set('deployments', [deployment('d1', 'Qwen3-8B', 'ready')])
    core.set('gateway', gatewayStatus([gatewayModel('d1', 'qwen3-8b', 'loaded')]))
    await shell.start()
    await vi.advanceTimersByTimeAsync(1000)
    entry(tray().menu, 'unload:d1')?.click?.()
    entry(tray().menu, 'webui')?.click?.()
    entry(tray().menu, 'gateway-url')?.click?.()
    await vi.waitFor(() => expect(core.calls).toEqual(['gateway.unload:{"name":"qwen3-8b"}', 'webui.deploy:{}']))
    expect(fake.clipboardText).toBe('http://127.0.0.1:8000/v1')
    shell.dispose()
  })

  it('opens Open WebUI in the browser when it runs', async () => {
    const { core, shell } = setup()
    core.set('webui', webuiStatus('healthy', 'http://127.0.0.1:3000'))
    await shell.start()
    await vi.advanceTimersByTimeAsync(1000)
    entry(tray().menu, 'webui')?.click?.()
    expect(fake.openExternal).toHaveBeenCalledWith('http://127.0.0.1:3000')
    shell.dispose()
  })

  it('says in a notification when an action fails; its click opens the page concerned', async () => {
    const { core, shell, win } = setup()
    core.fail('gateway.load')
    core.set('deployments', [deployment('d1', 'Qwen3-8B', 'stopped')])
    core.set('gateway', gatewayStatus([gatewayModel('d1', 'qwen3-8b', 'cold')]))
    await shell.start()
    await vi.advanceTimersByTimeAsync(1000)
    entry(tray().menu, 'load:d1')?.click?.()
    await vi.waitFor(() => expect(FakeNotification.instances).toHaveLength(1))
    const [note] = FakeNotification.instances
    expect(note?.options.title).toBe('That did not work')
    expect(note?.options.body).toContain('gateway.load failed')
    note?.emit('click')
    expect(win.loadURL).toHaveBeenLastCalledWith('app://inferadmin/#/deployments')
    shell.dispose()
  })

  it('a click on the icon shows the window', async () => {
    const { shell, win } = setup()
    await shell.start()
    win.visible = false
    tray().emit('click')
    expect(win.show).toHaveBeenCalled()
    expect(win.focus).toHaveBeenCalled()
    expect(win.loadURL).not.toHaveBeenCalled()
    shell.dispose()
  })

  it('is destroyed on dispose, and later state changes touch it no more', async () => {
    const { core, shell } = setup()
    await shell.start()
    shell.dispose()
    expect(tray().isDestroyed()).toBe(true)
    core.set('gpus', gpus(1000))
    await vi.advanceTimersByTimeAsync(2000)
    expect(shell.trayAlive).toBe(false)
  })
})

describe('close to tray', () => {
  it('hides the window while the tray exists and says where it went the first time only', async () => {
    const { shell, win } = setup()
    await shell.start()
    expect(win.close().defaultPrevented).toBe(true)
    expect(win.hide).toHaveBeenCalledOnce()
    await vi.waitFor(() => expect(FakeNotification.instances).toHaveLength(1))
    expect(FakeNotification.instances[0]?.options.title).toBe('InferAdmin is still running in the tray')
    expect(existsSync(join(dir, 'electron/closed-to-tray-notice'))).toBe(true)
    win.show()
    expect(win.close().defaultPrevented).toBe(true)
    await vi.advanceTimersByTimeAsync(100)
    expect(FakeNotification.instances).toHaveLength(1)
    shell.dispose()
  })

  it('closes the window once quitting, or without a tray', async () => {
    const { shell, win } = setup()
    await shell.start()
    shell.markQuitting()
    expect(win.close().defaultPrevented).toBe(false)
    expect(win.isDestroyed()).toBe(true)
    shell.dispose()
  })
})

describe('notifications', () => {
  async function* once(n: ShellNotification): AsyncGenerator<ShellNotification> {
    yield n
  }

  it('shows each one with its body escaped; a click shows the window on the page it names', async () => {
    const n: ShellNotification = { title: 'Model ready', body: 'R&D <b>qwen</b> is ready', route: '/deployments', urgency: 'normal' }
    const { shell, win } = setup({ notifications: () => once(n) })
    await shell.start()
    await vi.waitFor(() => expect(FakeNotification.instances).toHaveLength(1))
    const [note] = FakeNotification.instances
    expect(note?.shown).toBe(true)
    expect(note?.options).toMatchObject({ title: 'Model ready', body: 'R&amp;D &lt;b&gt;qwen&lt;/b&gt; is ready', urgency: 'normal' })
    win.visible = false
    note?.emit('click')
    expect(win.show).toHaveBeenCalled()
    expect(win.focus).toHaveBeenCalled()
    expect(win.loadURL).toHaveBeenCalledWith('app://inferadmin/#/deployments')
    shell.dispose()
  })

  it('skips them, saying why once, where libnotify is missing', async () => {
    FakeNotification.supported = false
    const n: ShellNotification = { title: 'a', body: 'b', route: '/', urgency: 'low' }
    const { shell, logger } = setup({ notifications: () => once(n) })
    await shell.start()
    await vi.waitFor(() => expect(logger.lines.some((l) => /libnotify4/.test(l.msg))).toBe(true))
    expect(FakeNotification.instances).toHaveLength(0)
    shell.dispose()
  })
})

describe('quit from the tray', () => {
  it('quits at once when no model is loaded', async () => {
    const { shell } = setup()
    await shell.start()
    await shell.requestQuit()
    expect(fake.showMessageBox).not.toHaveBeenCalled()
    expect(fake.app.quit).toHaveBeenCalledOnce()
    shell.dispose()
  })

  it('asks first when models are loaded, saying they keep running and are taken over at the next start', async () => {
    const { core, shell } = setup()
    core.set('deployments', [deployment('d1', 'Qwen3-8B', 'ready')])
    await shell.start()
    await vi.advanceTimersByTimeAsync(1000)
    expect(entry(tray().menu, 'model:d1')).toBeDefined()
    fake.messageBoxResponse = 1
    entry(tray().menu, 'quit')?.click?.()
    await vi.waitFor(() => expect(fake.showMessageBox).toHaveBeenCalledOnce())
    const options = fake.showMessageBox.mock.calls[0]?.at(-1) as { message: string; detail: string }
    expect(options.message).toBe('Quit InferAdmin? 1 model is loaded.')
    expect(options.detail).toMatch(/Qwen3-8B keeps running in Docker.*takes them over again the next time it starts/)
    expect(fake.app.quit).not.toHaveBeenCalled()
    fake.messageBoxResponse = 0
    await shell.requestQuit()
    expect(fake.app.quit).toHaveBeenCalledOnce()
    shell.dispose()
  })
})

describe('autostart', () => {
  it('writes the entry for the installed app, with --hidden when starting minimised, and removes it when turned off', async () => {
    const { shell, settings, autostartFile } = setup({ settings: { autostart: true, startMinimised: true } })
    await shell.start()
    expect(readFileSync(autostartFile, 'utf8')).toContain('\nExec=/opt/InferAdmin/inferadmin --hidden\n')
    settings.change({ autostart: false, startMinimised: true })
    await vi.waitFor(() => expect(existsSync(autostartFile)).toBe(false))
    shell.dispose()
  })

  it('points at the AppImage file, not its temporary mount', async () => {
    const env = { APPIMAGE: '/home/u/Apps/InferAdmin-1.2.0-x86_64.AppImage' }
    const { shell, autostartFile } = setup({ settings: { autostart: true }, env })
    await shell.start()
    expect(readFileSync(autostartFile, 'utf8')).toContain('\nExec=/home/u/Apps/InferAdmin-1.2.0-x86_64.AppImage\n')
    shell.dispose()
  })

  it('never touches the entry from a development Electron', async () => {
    const { shell, autostartFile, logger } = setup({ settings: { autostart: true }, isPackaged: false })
    await shell.start()
    expect(existsSync(autostartFile)).toBe(false)
    expect(logger.lines.find((l) => l.msg === 'autostart not applied')).toBeDefined()
    shell.dispose()
  })
})
