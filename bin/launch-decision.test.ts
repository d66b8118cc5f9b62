import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decideLaunch, displayProblem, electronDownloadAdvice, NO_DISPLAY_ADVICE, probeElectron } from './launch-decision.js'

const usable = { ok: true as const, path: '/opt/electron/electron' }

describe('npm start: desktop or headless', () => {
  it('starts the desktop app when Electron runs and there is a display', () => {
    expect(decideLaunch({ platform: 'linux', env: { DISPLAY: ':0' }, electron: usable })).toEqual({
      mode: 'desktop',
      electronPath: usable.path,
    })
    expect(decideLaunch({ platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' }, electron: usable }).mode).toBe('desktop')
    expect(decideLaunch({ platform: 'darwin', env: {}, electron: usable }).mode).toBe('desktop')
  })

  it('falls back to headless, saying why and how to get the desktop app, when the Electron binary is not usable', () => {
    const electron = { ok: false as const, reason: 'Electron binary is not installed (x is missing)', fix: 'run npx install-electron' }
    expect(decideLaunch({ platform: 'linux', env: { DISPLAY: ':0' }, electron })).toEqual({
      mode: 'headless',
      reason: electron.reason,
      fix: electron.fix,
    })
  })

  it('without a display, headless is the expected mode: says so, whatever the state of Electron', () => {
    const missing = { ok: false as const, reason: 'Electron binary is not installed (x is missing)', fix: 'run npx install-electron' }
    for (const electron of [usable, missing]) {
      expect(decideLaunch({ platform: 'linux', env: { DISPLAY: '' }, electron })).toEqual({
        mode: 'headless',
        reason: 'No display (DISPLAY/WAYLAND_DISPLAY not set)',
        fix: NO_DISPLAY_ADVICE,
      })
    }
    expect(NO_DISPLAY_ADVICE).toMatch(/expected mode.*`npm run serve`/)
    expect(displayProblem('freebsd', {})).toMatch(/No display/)
  })

  it('honours --headless', () => {
    expect(decideLaunch({ platform: 'linux', env: { DISPLAY: ':0' }, electron: usable, forceHeadless: true })).toEqual({
      mode: 'headless',
      reason: 'Headless requested (--headless)',
      fix: null,
    })
  })

  it('says how to download the Electron binary, and when this Node is older than its installer wants', () => {
    expect(electronDownloadAdvice('22.12.0')).toBe(
      'To get the desktop app, download the Electron binary with `npx install-electron` (needs internet access), ' +
        'then run `npm start` again. Or keep the headless server: `npm run serve`.',
    )
    expect(electronDownloadAdvice('20.20.2')).toContain("Electron's installer wants Node 22.12 or newer (this is Node 20.20.2)")
    expect(electronDownloadAdvice('22.11.0')).toContain('this is Node 22.11.0')
    expect(electronDownloadAdvice('24.1.0')).not.toContain('wants Node')
  })
})

describe('Electron probe', () => {
  function fakePackage(script?: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'inferadmin-electron-'))
    writeFileSync(join(dir, 'package.json'), '{"name":"electron"}')
    if (script !== undefined) {
      writeFileSync(join(dir, 'path.txt'), 'electron')
      mkdirSync(join(dir, 'dist'))
      writeFileSync(join(dir, 'dist', 'electron'), script)
    }
    return dir
  }

  it('finds a binary that answers --version', () => {
    const dir = fakePackage('#!/bin/sh\necho v45.4.1\n')
    chmodSync(join(dir, 'dist', 'electron'), 0o755)
    expect(probeElectron({ packageDir: dir, env: {} })).toEqual({ ok: true, path: join(dir, 'dist', 'electron') })
  })

  it('reports a package without its downloaded binary, with the command that downloads it', () => {
    expect(probeElectron({ packageDir: fakePackage(), env: {}, nodeVersion: '22.12.0' })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^Electron binary is not installed .*path\.txt is missing/),
      fix: electronDownloadAdvice('22.12.0'),
    })
  })

  it('reports a missing package and says to run npm install', () => {
    expect(probeElectron({ packageDir: join(tmpdir(), 'no-such-electron'), env: {} })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^Electron is not installed/),
      fix: expect.stringMatching(/^Run `npm install`/),
    })
  })

  it('reports a binary that is not executable', () => {
    const dir = fakePackage('#!/bin/sh\necho v45\n')
    chmodSync(join(dir, 'dist', 'electron'), 0o644)
    expect(probeElectron({ packageDir: dir, env: {} })).toMatchObject({ ok: false, reason: expect.stringMatching(/not executable/) })
  })

  it('reports a binary that fails to run (e.g. missing shared libraries)', () => {
    const dir = fakePackage('#!/bin/sh\necho "error while loading shared libraries: libnss3.so" >&2\nexit 127\n')
    chmodSync(join(dir, 'dist', 'electron'), 0o755)
    expect(probeElectron({ packageDir: dir, env: {} })).toEqual({
      ok: false,
      reason: 'Electron binary does not run (`electron --version`: exit code 127: error while loading shared libraries: libnss3.so)',
      fix: expect.stringContaining('apt-get install libnss3'),
    })
  })

  it('follows ELECTRON_OVERRIDE_DIST_PATH like the electron package does', () => {
    const dir = fakePackage()
    const dist = mkdtempSync(join(tmpdir(), 'inferadmin-electron-dist-'))
    writeFileSync(join(dist, 'electron'), '#!/bin/sh\nexit 0\n')
    chmodSync(join(dist, 'electron'), 0o755)
    expect(probeElectron({ packageDir: dir, env: { ELECTRON_OVERRIDE_DIST_PATH: dist } })).toEqual({
      ok: true,
      path: join(dist, 'electron'),
    })
  })
})
