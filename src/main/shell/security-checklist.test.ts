/**
 * The Electron security checklist items Electronegativity cannot see in the build: which IPC entry points
 * exist (and that each checks its sender), what the preload hands the page, and the fuses flipped at
 * package time. Behaviour is tested beside each module; this file guards the whole source tree, so a new
 * IPC channel, exposed API or weakened webPreference fails here until it is reviewed.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config'
import { DebugLogger } from 'builder-util'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

function sources(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = []
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    const testSupport = /\.test\.ts$/.test(entry.name) || entry.name === 'fake-electron.ts' || path.includes('/fixtures/')
    if (!entry.isFile() || !/\.(ts|js|cjs|mjs)$/.test(entry.name) || testSupport) continue
    out.push({ file: relative(ROOT, path), text: readFileSync(path, 'utf8') })
  }
  return out
}

/** Every `<object>.<method>(` call in the given source folders, as "file: object.method". */
function calls(dirs: string[], object: string): string[] {
  const re = new RegExp(`\\b${object}\\.(\\w+)\\s*\\(`, 'g')
  return dirs.flatMap(sources).flatMap(({ file, text }) => [...text.matchAll(re)].map((m) => `${file}: ${object}.${m[1]}`))
}

describe('IPC surface (checklist 17: validate the sender of all IPC messages)', () => {
  it('the main process listens on exactly one channel, in the sender-checking RPC bridge', () => {
    expect(calls(['src/main'], 'ipcMain').sort()).toEqual([
      'src/main/shell/rpc-bridge.ts: ipcMain.on',
      'src/main/shell/rpc-bridge.ts: ipcMain.removeListener',
      'src/main/shell/settings-store.ts: ipcMain.removeAllListeners',
    ])
    const bridge = readFileSync(join(ROOT, 'src/main/shell/rpc-bridge.ts'), 'utf8')
    expect(bridge).toMatch(/ipcMain\.on\(RPC_PORT_CHANNEL, onPort\)/)
    expect(bridge).toMatch(/const reason = refusalReason\(event, opts\.origin\)/)
  })

  it('the core never imports electron (it also runs headless)', () => {
    const offenders = sources('src/main/core').filter(({ text }) => /from ['"]electron['"]|require\(['"]electron['"]\)/.test(text))
    expect(offenders.map((s) => s.file)).toEqual([])
  })
})

describe('preload (checklist 20: do not expose Electron APIs to web content)', () => {
  it('uses ipcRenderer only to post the one port, and exposes one object', () => {
    expect(calls(['src/preload'], 'ipcRenderer')).toEqual(['src/preload/bridge.ts: ipcRenderer.postMessage'])
    const exposures = [...sources('src/preload'), ...sources('src/main')].flatMap(({ file, text }) =>
      [...text.matchAll(/\.exposeInMainWorld\(([^)]*)\)/g)].map((m) => `${file}: ${m[1]}`),
    )
    expect(exposures).toEqual(["src/preload/bridge.ts: 'inferadmin', info"])
  })
})

describe('webPreferences (checklist 2-4, 6, 8, 12)', () => {
  it('nothing in the app weakens isolation, sandbox or web security, or loads file://', () => {
    const weakening =
      /nodeIntegration(InWorker|InSubFrames)?\s*:\s*true|contextIsolation\s*:\s*false|sandbox\s*:\s*false|webSecurity\s*:\s*false|allowRunningInsecureContent\s*:\s*true|webviewTag\s*:\s*true|experimentalFeatures\s*:\s*true|enableBlinkFeatures|\.loadFile\(|loadURL\(['"`]file:/
    const offenders = [...sources('src/main'), ...sources('src/preload')].filter(({ text }) => weakening.test(text)).map((s) => s.file)
    expect(offenders).toEqual([])
  })
})

describe('fuses (checklist 19), as electron-builder will apply them', () => {
  it('turns off Node-as-app paths and pins the app to its integrity-checked asar', async () => {
    const config = await getConfig(ROOT, null, null)
    await validateConfiguration(config, new DebugLogger(false))
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    })
    expect(config.asar).toBe(true)
    expect(config.appId).toBe('dev.inferadmin.app')
    expect(config.files).toEqual([{ filter: ['out/**', 'package.json', 'resources/**'] }])
  })

  it('ships a 512x512 PNG app icon', () => {
    const png = readFileSync(join(ROOT, 'resources/icon.png'))
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG')
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512])
  })
})
