import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AutostartFile, autostartEntry, autostartPath, autostartTarget, execArgument } from './autostart'

const appImage = { kind: 'appimage', path: '/home/u/Apps/InferAdmin-1.2.0-x86_64.AppImage' } as const
const installed = { kind: 'installed', path: '/opt/InferAdmin/inferadmin' } as const

describe('autostart entry', () => {
  it('starts the AppImage file itself, with TryExec so a moved file is skipped', () => {
    expect(autostartEntry({ target: appImage, hidden: false })).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Name=InferAdmin',
        'Comment=Local LLMs on this GPU workstation',
        'Exec=/home/u/Apps/InferAdmin-1.2.0-x86_64.AppImage',
        'TryExec=/home/u/Apps/InferAdmin-1.2.0-x86_64.AppImage',
        'Icon=inferadmin',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    )
  })

  it('starts the installed binary of the deb, minimised to the tray when asked, never with --no-sandbox', () => {
    const text = autostartEntry({ target: installed, hidden: true })
    expect(text).toContain('\nExec=/opt/InferAdmin/inferadmin --hidden\n')
    expect(text).toContain('\nTryExec=/opt/InferAdmin/inferadmin\n')
    expect(text).not.toContain('no-sandbox')
  })

  it('quotes a path with spaces, escapes what the Exec rules reserve, doubles %', () => {
    expect(execArgument('/home/u/My Apps/InferAdmin.AppImage')).toBe('"/home/u/My Apps/InferAdmin.AppImage"')
    expect(execArgument('/home/u/$x/100%.AppImage')).toBe('"/home/u/\\\\$x/100%%.AppImage"')
  })

  it('refuses a path with a line break (it would add keys to the file) and a relative one', () => {
    expect(() => autostartEntry({ target: { kind: 'appimage', path: '/tmp/a\nExec=evil' }, hidden: false })).toThrow(/line break/)
    expect(() => autostartEntry({ target: { kind: 'installed', path: 'inferadmin' }, hidden: false })).toThrow(/absolute/)
  })
})

describe('autostart target and path', () => {
  it('uses $APPIMAGE, not the temporary mount, when running from an AppImage', () => {
    const env = { APPIMAGE: appImage.path, APPDIR: '/tmp/.mount_InferAbc' }
    expect(autostartTarget(env, '/tmp/.mount_InferAbc/inferadmin', true)).toEqual(appImage)
  })

  it('uses the packaged binary otherwise, and refuses a development Electron with the fix', () => {
    expect(autostartTarget({}, installed.path, true)).toEqual(installed)
    expect(() => autostartTarget({}, '/repo/node_modules/electron/dist/electron', false)).toThrow(/install the \.deb or run the AppImage/)
  })

  it('goes to $XDG_CONFIG_HOME/autostart when it is absolute, else ~/.config/autostart', () => {
    expect(autostartPath({ XDG_CONFIG_HOME: '/cfg' }, '/home/u')).toBe('/cfg/autostart/inferadmin.desktop')
    expect(autostartPath({ XDG_CONFIG_HOME: 'relative' }, '/home/u')).toBe('/home/u/.config/autostart/inferadmin.desktop')
    expect(autostartPath({}, '/home/u')).toBe('/home/u/.config/autostart/inferadmin.desktop')
  })
})

describe('autostart file', () => {
  let home: string
  let file: AutostartFile

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'inferadmin-autostart-'))
    file = new AutostartFile(autostartPath({}, home))
  })
  afterEach(async () => {
    await rm(home, { recursive: true, force: true })
  })

  it('creates ~/.config/autostart and writes the entry when turned on', async () => {
    expect(await file.apply({ enabled: true, hidden: true }, appImage)).toBe('written')
    const text = await readFile(join(home, '.config/autostart/inferadmin.desktop'), 'utf8')
    expect(text).toBe(autostartEntry({ target: appImage, hidden: true }))
    expect((await stat(file.file)).mode & 0o777).toBe(0o644)
  })

  it('leaves an identical file alone and rewrites it when the AppImage moved', async () => {
    await file.apply({ enabled: true, hidden: false }, appImage)
    expect(await file.apply({ enabled: true, hidden: false }, appImage)).toBe('unchanged')
    const moved = { kind: 'appimage', path: '/home/u/Downloads/InferAdmin-1.3.0-x86_64.AppImage' } as const
    expect(await file.apply({ enabled: true, hidden: false }, moved)).toBe('written')
    expect(await file.read()).toContain('Exec=/home/u/Downloads/InferAdmin-1.3.0-x86_64.AppImage\n')
  })

  it('removes the entry when turned off, and is fine when there is none', async () => {
    await file.apply({ enabled: true, hidden: false }, installed)
    expect(await file.apply({ enabled: false, hidden: false }, installed)).toBe('removed')
    expect(await file.read()).toBeNull()
    expect(await file.apply({ enabled: false, hidden: false }, installed)).toBe('absent')
  })

  it('refuses a relative file path', () => {
    expect(() => new AutostartFile('autostart/inferadmin.desktop')).toThrow(/absolute.*autostartPath/)
  })
})
