import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { fake, recordingLogger } from './fake-electron'
import { createSafeStorageCodec, electronSettingsFile } from './settings-store'

vi.mock('electron', async () => (await import('./fake-electron')).electronModule)
// electron-store is conf plus Electron defaults; outside Electron, stand it up on conf with the same options.
vi.mock('electron-store', async () => {
  const { default: Conf } = await import('conf')
  const { fake: electron } = await import('./fake-electron')
  class ElectronStore extends Conf<Record<string, unknown>> {
    constructor(options: { cwd: string; name: string; clearInvalidConfig: boolean }) {
      electron.ipcMain.on('electron-store-get-data', () => undefined)
      super({ cwd: options.cwd, configName: options.name, clearInvalidConfig: options.clearInvalidConfig, projectName: 'inferadmin' })
    }
  }
  return { default: ElectronStore }
})

beforeEach(() => {
  fake.safeStorage.available = true
  fake.safeStorage.backend = 'gnome_libsecret'
})

describe('desktop settings file', () => {
  it('is <configDir>/settings.json and persists what is stored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferadmin-store-'))
    const file = electronSettingsFile(dir)()
    expect(file.path).toBe(join(dir, 'settings.json'))
    file.store = { gpuRefreshMs: 1500 }
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toEqual({ gpuRefreshMs: 1500 })
  })

  it('throws on a corrupt file instead of silently resetting it (the core backs it up and reports)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferadmin-store-'))
    writeFileSync(join(dir, 'settings.json'), '{ not json')
    expect(() => electronSettingsFile(dir)()).toThrow()
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe('{ not json')
  })

  it("removes electron-store's renderer IPC channel, leaving none behind", () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferadmin-store-'))
    electronSettingsFile(dir)()
    expect(fake.ipcMain.listenerCount('electron-store-get-data')).toBe(0)
  })
})

describe('safeStorage secret codec', () => {
  it('encrypts with the OS keychain and reads it back', () => {
    const codec = createSafeStorageCodec(recordingLogger())
    const stored = codec.encrypt('hf_secret')
    expect(stored.toString()).not.toContain('hf_secret')
    expect(codec.decrypt(stored)).toBe('hf_secret')
    expect(codec.kind).toBe('Electron safeStorage (gnome_libsecret)')
  })

  it('falls back to the 0600-file format with a warning when no keychain is available', () => {
    fake.safeStorage.available = false
    const logger = recordingLogger()
    const codec = createSafeStorageCodec(logger)
    expect(codec.decrypt(codec.encrypt('hf_plain'))).toBe('hf_plain')
    expect(codec.kind).toMatch(/0600/)
    expect(logger.lines).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/unencrypted/) })])
  })

  it('reads secrets written by the headless server (plain UTF-8)', () => {
    const codec = createSafeStorageCodec(recordingLogger())
    expect(codec.decrypt(Buffer.from('hf_from_headless'))).toBe('hf_from_headless')
  })

  it('refuses to decrypt keychain data when the keychain is gone, rather than return garbage', () => {
    const stored = createSafeStorageCodec(recordingLogger()).encrypt('hf_secret')
    fake.safeStorage.available = false
    expect(() => createSafeStorageCodec(recordingLogger()).decrypt(stored)).toThrow(/keychain/)
  })

  it('flags the basic_text backend as weak', () => {
    fake.safeStorage.backend = 'basic_text'
    const logger = recordingLogger()
    createSafeStorageCodec(logger).encrypt('x')
    expect(logger.lines[0]).toMatchObject({ level: 'warn', obj: { backend: 'basic_text' } })
  })
})
