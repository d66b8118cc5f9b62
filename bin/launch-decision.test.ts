import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decideLaunch, displayProblem, probeElectron } from './launch-decision.js'

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

  it('falls back to headless, saying why, when the Electron binary is not usable', () => {
    const electron = { ok: false as const, reason: 'Electron binary is not installed (x is missing)' }
    expect(decideLaunch({ platform: 'linux', env: { DISPLAY: ':0' }, electron })).toEqual({ mode: 'headless', reason: electron.reason })
  })

  it('falls back to headless without a display', () => {
    expect(decideLaunch({ platform: 'linux', env: { DISPLAY: '' }, electron: usable })).toEqual({
      mode: 'headless',
      reason: 'No display (DISPLAY/WAYLAND_DISPLAY not set)',
    })
    expect(displayProblem('freebsd', {})).toMatch(/No display/)
  })

  it('honours --headless', () => {
    expect(decideLaunch({ platform: 'linux', env: { DISPLAY: ':0' }, electron: usable, forceHeadless: true })).toEqual({
      mode: 'headless',
      reason: 'Headless requested (--headless)',
    })
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

  it('reports a package without its downloaded binary', () => {
    expect(probeElectron({ packageDir: fakePackage(), env: {} })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^Electron binary is not installed .*path\.txt is missing/),
    })
  })

  it('reports a missing package', () => {
    expect(probeElectron({ packageDir: join(tmpdir(), 'no-such-electron'), env: {} })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^Electron is not installed/),
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
