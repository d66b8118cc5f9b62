import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config'
import { LinuxTargetHelper } from 'app-builder-lib/out/targets/LinuxTargetHelper'
import { DebugLogger } from 'builder-util'
import { beforeAll, describe, expect, it } from 'vitest'

// Electron's binary cannot be fetched here, so `npm run package` does not run in tests: these check the
// electron-builder configuration it would use (issue #17 point 6), with electron-builder's own code where it can.
const root = resolve(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512]

type Config = Awaited<ReturnType<typeof getConfig>>
let config: Config

beforeAll(async () => {
  config = await getConfig(root, null, null)
  await validateConfiguration(config, new DebugLogger(false))
})

function pngSize(file: string): [number, number] {
  const png = readFileSync(join(root, file))
  if (png.subarray(1, 4).toString('ascii') !== 'PNG') throw new Error(`${file} is not a PNG; run node scripts/generate-icon.js`)
  return [png.readUInt32BE(16), png.readUInt32BE(20)]
}

/** The desktop entry electron-builder writes into the deb (and the AppImage), from its own code. */
async function desktopEntry(): Promise<Record<string, string>> {
  const options = { ...config.linux, ...config.deb }
  const packager = {
    config,
    platformSpecificBuildOptions: config.linux,
    info: { metadata: pkg },
    appInfo: { productName: config.productName, sanitizedProductName: config.productName, description: pkg.description },
    executableName: config.linux?.executableName,
    fileAssociations: [],
  }
  const helper = new LinuxTargetHelper(packager as unknown as ConstructorParameters<typeof LinuxTargetHelper>[0])
  const text = await (helper as unknown as { computeDesktopEntry(o: unknown): Promise<string> }).computeDesktopEntry(options)
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )
}

describe('packages: targets and artifact names', () => {
  it('builds an AppImage and a deb, named with version and arch', () => {
    expect(config.linux?.target).toEqual(['AppImage', 'deb'])
    expect(config.appImage?.artifactName).toBe('${productName}-${version}-${arch}.${ext}')
    expect(config.deb?.artifactName).toBe('${name}_${version}_${arch}.${ext}')
  })

  it('uses the static AppImage runtime (no libfuse2 on the user machine)', () => {
    expect(config.toolsets?.appimage).toBe('1.0.3')
  })

  it('keeps the hardened fuses', () => {
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, onlyLoadAppFromAsar: true })
  })
})

describe('packages: desktop entry', () => {
  it('has name, comment, categories, icon and a window class that matches Electron app id', async () => {
    const entry = await desktopEntry()
    expect(entry).toMatchObject({
      Type: 'Application',
      Name: 'InferAdmin',
      Comment: 'Manage a local Hugging Face model store and vLLM servers in Docker, with live GPU state.',
      Categories: 'Development;',
      Icon: 'inferadmin',
      Terminal: 'false',
      StartupWMClass: 'inferadmin',
      Exec: '/opt/InferAdmin/inferadmin %U',
    })
    expect(entry.Exec).not.toContain('--no-sandbox')
  })

  it('is named after package.json desktopName, which Electron uses as app id and WM_CLASS', async () => {
    expect(pkg.desktopName).toBe('inferadmin.desktop')
    expect(config.linux?.syncDesktopName).toBe(true)
    expect(`${(await desktopEntry()).StartupWMClass}.desktop`).toBe(pkg.desktopName)
  })
})

describe('packages: icons', () => {
  it('has a square PNG at every size from 16 to 512 in the icon folder', () => {
    expect(config.linux?.icon).toBe('resources/icons')
    for (const size of ICON_SIZES) expect(pngSize(`resources/icons/${size}x${size}.png`)).toEqual([size, size])
  })

  it('has a tray icon per state at 1x and 2x', () => {
    for (const state of ['idle', 'serving', 'loading', 'problem']) {
      expect(pngSize(`resources/tray/${state}.png`)).toEqual([32, 32])
      expect(pngSize(`resources/tray/${state}@2x.png`)).toEqual([64, 64])
    }
  })
})

describe('packages: deb dependencies', () => {
  it('depends on libnotify4 (notifications) and the Electron runtime libraries', () => {
    expect(config.deb?.depends).toEqual(expect.arrayContaining(['libnotify4', 'libgtk-3-0', 'libnss3', 'xdg-utils', 'libsecret-1-0']))
  })

  it('does not pull in appindicator (Electron speaks StatusNotifierItem itself) and suggests the GNOME tray extension', () => {
    const all = [...(config.deb?.depends ?? []), ...(config.deb?.recommends ?? [])]
    expect(all.filter((d) => /appindicator/.test(d))).toEqual([])
    expect(config.deb?.recommends).toEqual([])
    expect(config.deb?.fpm).toEqual(['--deb-suggests', 'gnome-shell-extension-appindicator'])
  })

  it('has a homepage (electron-builder refuses to build a deb without one)', () => {
    expect(pkg.homepage).toMatch(/^https:\/\/\S+$/)
  })

  it('is built by `npm run package` for AppImage and deb', () => {
    expect((pkg.scripts as Record<string, string>).package).toBe('npm run build && electron-builder --linux AppImage deb')
  })

  it('names a maintainer with an email (the deb needs one)', () => {
    expect(config.linux?.maintainer).toMatch(/^.+ <[^@\s]+@[^@\s]+>$/)
  })
})

describe('README: Desktop', () => {
  it('says how to build the packages and what they install', () => {
    const desktop = readme.slice(readme.indexOf('\n## Desktop'))
    expect(readme).toContain('\n## Desktop')
    for (const fact of ['npm run package', '/opt/InferAdmin', '/usr/share/applications/inferadmin.desktop', 'libnotify4', '.AppImage']) {
      expect(desktop).toContain(fact)
    }
  })
})
