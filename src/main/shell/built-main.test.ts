/**
 * Runs the *built* Electron main (out/main/index.js) under plain Node with a stub `electron` (the binary
 * cannot run here): proves the shell wires the real core and finds its real preload, renderer and worker
 * files in the build layout, then quits cleanly. Needs `npm run build` (npm test builds first).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { RPC_PORT_CHANNEL } from '../../shared/ipc'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const MAIN = join(ROOT, 'out/main/index.js')
const REGISTER = fileURLToPath(new URL('./fixtures/register-electron-stub.mjs', import.meta.url))

interface Report {
  exitCode?: number
  ipcChannels: string[]
  privilegedSchemes: { scheme: string }[]
  userData?: string
  sandboxEverywhere?: boolean
  window?: { webPreferences: { preload: string; sandbox: boolean; contextIsolation: boolean }; icon: string }
  startUrl?: string
  page?: { status: number; csp: string | null; body: string }
  windowOpen?: string
  mediaPermission?: boolean
  error?: string
  trays?: number
  trayDestroyed?: boolean
}

/** Callers pass XDG_CONFIG_HOME under their temp home: the shell syncs the autostart entry there at start. */
async function runBuiltMain(env: Record<string, string>): Promise<{ code: number; report: Report }> {
  let stdout: string
  let code = 0
  try {
    ;({ stdout } = await promisify(execFile)(process.execPath, ['--import', REGISTER, MAIN], {
      env: { ...process.env, ...env },
      timeout: 20_000,
    }))
  } catch (err) {
    const e = err as { code: number; stdout: string }
    ;({ stdout, code } = e)
  }
  const line = stdout.trim().split('\n').at(-1) ?? '{}'
  return { code, report: JSON.parse(line) as Report }
}

describe('built Electron main (out/main/index.js)', () => {
  beforeAll(() => {
    // No silent skip: without a build this suite would prove nothing while reporting green.
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test and CI build before the unit tests).`)
  })

  it('starts the core, opens the hardened window on app://inferadmin/ and quits cleanly', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-built-main-'))
    const { code, report } = await runBuiltMain({ INFERADMIN_HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') })
    expect(report.error).toBeUndefined()
    expect(code).toBe(0)
    expect(report.exitCode).toBe(0)

    expect(report.privilegedSchemes.map((s) => s.scheme)).toEqual(['app'])
    expect(report.sandboxEverywhere).toBe(true)
    expect(report.userData).toBe(join(home, 'electron'))
    expect(report.window?.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true })
    expect(report.window?.webPreferences.preload).toBe(join(ROOT, 'out/preload/index.cjs'))
    // A sandboxed renderer can only load a CommonJS preload: the built file must be one.
    const preload = readFileSync(report.window?.webPreferences.preload ?? '', 'utf8')
    expect(preload).toMatch(/\brequire\(["']electron["']\)/)
    expect(preload).not.toMatch(/^\s*(import|export)\s/m)
    expect(existsSync(report.window?.icon ?? '')).toBe(true)

    expect(report.startUrl).toBe('app://inferadmin/')
    expect(report.page?.status).toBe(200)
    expect(report.page?.body).toContain('<div id="app">')
    expect(report.page?.csp).toMatch(/^default-src 'self'; script-src 'self';/)
    expect(report.windowOpen).toBe('deny')
    expect(report.mediaPermission).toBe(false)
    // The bridge was listening until quit disposed it; the core wrote its log under INFERADMIN_HOME.
    expect(report.ipcChannels).not.toContain(RPC_PORT_CHANNEL)
    expect(existsSync(join(home, 'logs'))).toBe(true)
    // One tray for the session, destroyed by the quit.
    expect(report.trays).toBe(1)
    expect(report.trayDestroyed).toBe(true)
  })

  it('a second instance exits at once without opening a window', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-built-main-'))
    const { report } = await runBuiltMain({ INFERADMIN_HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), STUB_SECOND_INSTANCE: '1' })
    expect(report.exitCode).toBe(0)
    expect(report.window).toBeUndefined()
  })
})
