import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const SCRIPT = fileURLToPath(new URL('./electronegativity.js', import.meta.url))

/** A miniature build output (out/main, out/preload, out/renderer). */
function fixture(main: string, renderer = 'export const x = 1\n'): string {
  const out = mkdtempSync(join(tmpdir(), 'inferadmin-scan-fixture-'))
  for (const dir of ['main', 'preload', 'renderer']) mkdirSync(join(out, dir))
  writeFileSync(join(out, 'main', 'index.js'), main)
  writeFileSync(
    join(out, 'preload', 'index.cjs'),
    'const { contextBridge } = require("electron")\ncontextBridge.exposeInMainWorld("x", Object.freeze({}))\n',
  )
  writeFileSync(join(out, 'renderer', 'index.js'), renderer)
  writeFileSync(
    join(out, 'renderer', 'index.html'),
    `<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'self'"><script type="module" src="./index.js"></script>`,
  )
  return out
}

async function scan(dir: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SCRIPT, dir])
    return { code: 0, output: stdout + stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, output: e.stdout + e.stderr }
  }
}

const HARDENED_MAIN = `import { app, BrowserWindow, session, shell } from 'electron'
app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _p, cb) => cb(false))
  const win = new BrowserWindow({ webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, disableBlinkFeatures: 'Auxclick' } })
  win.webContents.on('will-navigate', (event) => event.preventDefault())
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  win.loadURL('app://inferadmin/')
})
`

describe('security scan (npm run test:security)', () => {
  it('fails on high-severity findings, naming them', async () => {
    const out = fixture(`import { app, BrowserWindow } from 'electron'
app.whenReady().then(() => new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false } }).loadURL('https://example.com'))
`)
    const { code, output } = await scan(out)
    expect(code).toBe(1)
    expect(output).toMatch(/^HIGH\s.*LIMIT_NAVIGATION_GLOBAL_CHECK/m)
    expect(output).toMatch(/^HIGH\s.*CONTEXT_ISOLATION_JS_CHECK/m)
    expect(output).toMatch(/^FAIL/m)
  })

  it('passes a hardened app, scanning modern bundles with private class fields too', async () => {
    const out = fixture(HARDENED_MAIN, 'class Store { #items = []; add(x) { this.#items.push(x) } }\nexport const store = new Store()\n')
    const { code, output } = await scan(out)
    expect(output).toMatch(/0 high/)
    expect(output).toMatch(/note: renderer\/index\.js scanned after lowering/)
    expect(code).toBe(0)
  })

  it('fails when there is no build to scan', async () => {
    const { code, output } = await scan(join(tmpdir(), 'inferadmin-no-such-out'))
    expect(code).toBe(1)
    expect(output).toMatch(/npm run build/)
  })
})
