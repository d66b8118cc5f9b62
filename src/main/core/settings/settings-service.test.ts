import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Conf from 'conf'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../logging/logger'
import { fileModeCodec } from './backend'
import { defaultSettings } from './defaults'
import { SecretStore } from './secrets'
import { SettingsService } from './settings-service'

function setup(initialFile?: string, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'inferadmin-settings-'))
  if (initialFile !== undefined) writeFileSync(join(dir, 'settings.json'), initialFile)
  const paths = { configDir: dir, dataDir: dir }
  const logger = silentLogger()
  const make = (secrets = new SecretStore(dir, fileModeCodec, logger)) =>
    new SettingsService({
      openFile: () =>
        new Conf<Record<string, unknown>>({ cwd: dir, configName: 'settings', projectName: 'inferadmin', clearInvalidConfig: false }),
      filePath: join(dir, 'settings.json'),
      secrets,
      defaults: defaultSettings(paths, { INFERADMIN_HOME: dir }),
      logger,
      env,
    })
  return { dir, make, logger }
}

describe('SettingsService', () => {
  it('starts with defaults and persists a valid update across a restart', () => {
    const { make } = setup()
    const first = make()
    expect(first.get().gpuRefreshMs).toBe(1000)
    first.update({ gpuRefreshMs: 2500, theme: 'dark' })
    const again = make()
    expect(again.get()).toMatchObject({ gpuRefreshMs: 2500, theme: 'dark' })
  })

  it('rejects an invalid update as a whole, naming the field, and saves nothing', () => {
    const { dir, make } = setup()
    const s = make()
    const before = readFileSync(join(dir, 'settings.json'), 'utf8')
    expect(() => s.update({ gpuRefreshMs: 10, theme: 'dark' })).toThrowError(/gpuRefreshMs/)
    try {
      s.update({ defaultStore: 3 })
    } catch (err) {
      expect((err as { data: { fields: Record<string, string> } }).data.fields).toHaveProperty('defaultStore')
    }
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe(before)
    expect(s.get().theme).toBe('system')
  })

  it('backs up a corrupt file, uses defaults and tells the user', () => {
    const { dir, make } = setup('{ this is not json')
    const s = make()
    expect(s.get().gpuRefreshMs).toBe(1000)
    const view = s.view()
    expect(view.loadProblems[0]?.message).toMatch(/could not be read/)
    const backups = readdirSync(dir).filter((f) => f.startsWith('settings.json.corrupt-'))
    expect(backups).toHaveLength(1)
    expect(readFileSync(join(dir, backups[0] as string), 'utf8')).toBe('{ this is not json')
  })

  it('replaces only the wrong field by its default, keeps the rest, and names the field', () => {
    const { dir, make } = setup(
      JSON.stringify({
        ...defaultSettings({ configDir: '/x', dataDir: '/x' }, { INFERADMIN_HOME: '/x' }),
        gpuRefreshMs: 'often',
        theme: 'dark',
        mystery: 1,
      }),
    )
    const s = make()
    expect(s.get().theme).toBe('dark')
    expect(s.get().gpuRefreshMs).toBe(1000)
    const fields = s.view().loadProblems.map((p) => p.field)
    expect(fields).toEqual(expect.arrayContaining(['gpuRefreshMs', 'mystery']))
    expect(readdirSync(dir).some((f) => f.startsWith('settings.json.invalid-'))).toBe(true)
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).not.toHaveProperty('mystery')
  })

  it('keeps the HF token out of every view and stores it in a 0600 file', () => {
    const { dir, make } = setup()
    const s = make()
    const view = s.update({ hfToken: 'hf_secretvalue123' })
    expect(view.hfToken).toEqual({ set: true })
    expect(view.hfTokenHubs).toEqual({ hub: 'https://huggingface.co', otherHubs: [] })
    expect(JSON.stringify(view)).not.toContain('hf_secretvalue123')
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).not.toContain('hf_secretvalue123')
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600)
    expect(make().view().hfToken.set).toBe(true)
    s.update({ hfToken: null })
    expect(make().view().hfToken.set).toBe(false)
  })

  it('a token saved before tokens were kept per Hub stays with the Hub in use then, and no other Hub gets it', () => {
    const env = { HF_ENDPOINT: 'https://env-hub.example' }
    const { dir, make, logger } = setup(JSON.stringify({ hubEndpoint: 'https://mirror.example/hf' }), env)
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ hfToken: fileModeCodec.encrypt('hf_legacyvalue1').toString('base64') }))
    const secrets = new SecretStore(dir, fileModeCodec, logger)
    const s = make(secrets)
    expect(secrets.get('hfToken')).toBe('hf_legacyvalue1')
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')))).toEqual(['hfToken@https://mirror.example'])
    // Empty hubEndpoint → HF_ENDPOINT: another origin, so no token.
    const view = s.update({ hubEndpoint: '' })
    expect(secrets.get('hfToken')).toBeUndefined()
    expect(view.hfToken).toEqual({ set: false })
    expect(view.hfTokenHubs).toEqual({ hub: 'https://env-hub.example', otherHubs: ['https://mirror.example'] })
    // Same origin, another path: the same Hub.
    s.update({ hubEndpoint: 'https://mirror.example/other' })
    expect(secrets.get('hfToken')).toBe('hf_legacyvalue1')
    const again = make().view()
    expect([again.hfToken, again.hfTokenHubs]).toEqual([{ set: true }, { hub: 'https://mirror.example', otherHubs: [] }])
  })

  it('notifies listeners with the new and previous values', () => {
    const { make } = setup()
    const s = make()
    const seen: number[][] = []
    const sub = s.onChange((next, prev) => seen.push([prev.ioConcurrency, next.ioConcurrency]))
    s.update({ ioConcurrency: 3 })
    sub.dispose()
    s.update({ ioConcurrency: 4 })
    expect(seen).toEqual([[8, 3]])
  })
})

describe('model store locations (bind-mounted into vLLM containers)', () => {
  const make = (dir: string, home: string, file?: string) => {
    if (file !== undefined) writeFileSync(join(dir, 'settings.json'), file)
    const logger = silentLogger()
    return new SettingsService({
      openFile: () =>
        new Conf<Record<string, unknown>>({ cwd: dir, configName: 'settings', projectName: 'inferadmin', clearInvalidConfig: false }),
      filePath: join(dir, 'settings.json'),
      secrets: new SecretStore(dir, fileModeCodec, logger),
      defaults: defaultSettings({ configDir: dir, dataDir: dir }, { INFERADMIN_HOME: dir }),
      logger,
      home,
    })
  }
  const refused = (s: SettingsService, path: string): { message: string; data: { fix: string; fields: Record<string, string> } } => {
    try {
      s.update({ modelStores: [{ path, label: 'x' }] })
    } catch (err) {
      return err as { message: string; data: { fix: string; fields: Record<string, string> } }
    }
    throw new Error(`${path} was accepted`)
  }

  it.each([
    ['/', /root of the file system/],
    ['/etc', /a system folder/],
    ['/usr/', /the system folder \/usr/],
    ['/var/lib/docker/volumes/models', /inside the system folder \/var\/lib\/docker;/],
    ['/proc/self/cwd', /inside the system folder \/proc;/],
    ['/data/../sys', /the system folder \/sys/],
    ['/home/bob', /a home folder itself/],
    ['/root', /a home folder itself/],
    ['~', /a home folder itself/],
  ])('refuses %s with a clear message, names the field and saves nothing', (path, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'inferadmin-settings-'))
    const s = make(dir, join(dir, 'home'))
    const before = readFileSync(join(dir, 'settings.json'), 'utf8')
    const err = refused(s, path)
    expect(err.message).toMatch(message)
    expect(err.message).toMatch(/mounted into every vLLM container.*pick a folder of its own/)
    expect(err.data.fields['modelStores.0.path']).toMatch(message)
    expect(err.data.fix).toMatch(/nothing was saved/)
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe(before)
  })

  it("refuses the user's own home folder and links to system folders", () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferadmin-settings-'))
    const home = join(dir, 'home')
    mkdirSync(home)
    const s = make(dir, home)
    expect(refused(s, home).message).toMatch(/a home folder itself/)
    expect(refused(s, `${home}/`).message).toMatch(/a home folder itself/)
    symlinkSync('/etc', join(dir, 'etc-link'))
    expect(refused(s, join(dir, 'etc-link')).message).toMatch(/is a symbolic link to \/etc: \/etc is a system folder/)
    symlinkSync('/', join(dir, 'root-link'))
    expect(refused(s, join(dir, 'root-link')).message).toMatch(/is a symbolic link to \/: \/ is the root of the file system/)
  })

  it('accepts folders of their own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferadmin-settings-'))
    const s = make(dir, join(dir, 'home'))
    for (const path of ['~/.cache/huggingface/hub', '/data/models', '/mnt/disk2/hf', '/usr/local/models', join(dir, 'models')])
      expect(s.update({ modelStores: [{ path, label: 'ok' }] }).settings.modelStores[0]?.path).toBe(path)
  })

  it('a settings file naming / as the store falls back to the default store and says why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferadmin-settings-'))
    const s = make(dir, join(dir, 'home'), JSON.stringify({ modelStores: [{ path: '/', label: 'root' }], theme: 'dark' }))
    expect(s.get().modelStores).toEqual([{ path: join(dir, 'models'), label: 'Default' }])
    expect(s.get().theme).toBe('dark')
    expect(s.view().loadProblems[0]?.message).toMatch(/root of the file system/)
  })
})

describe('SettingsService with an older file', () => {
  it('fills missing keys with defaults without reporting problems', () => {
    const { make } = setup(JSON.stringify({ theme: 'dark' }))
    const s = make()
    expect(s.get()).toMatchObject({ theme: 'dark', gpuRefreshMs: 1000 })
    expect(s.view().loadProblems).toEqual([])
  })
})

describe('SecretStore across codecs', () => {
  it('keeps a desktop-keychain secret intact when the headless codec cannot read it', async () => {
    const { writeFileSync: write, readFileSync: read, mkdtempSync: mk } = await import('node:fs')
    const dir = mk(join(tmpdir(), 'inferadmin-secrets-'))
    const stored = Buffer.from('ia-ss1:opaque-bytes').toString('base64')
    write(join(dir, 'secrets.json'), JSON.stringify({ hfToken: stored }))
    const store = new SecretStore(dir, fileModeCodec, silentLogger())
    expect(store.has('hfToken')).toBe(false)
    expect(store.get('hfToken')).toBeUndefined()
    store.set('hfToken', null)
    store.set('hfToken', 'hf_newvalue123')
    expect(JSON.parse(read(join(dir, 'secrets.json'), 'utf8')).hfToken).not.toBe(stored)
  })
})
