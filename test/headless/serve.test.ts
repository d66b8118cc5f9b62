import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')

beforeAll(() => {
  if (!existsSync(join(root, 'out/main/server.js'))) throw new Error('out/main/server.js is missing: run `npm run build` before this test (npm test does).')
})

let child: ChildProcess | undefined
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
})

/** Starts `inferadmin serve --port 0` and resolves with the URL line it prints. */
function serve(home: string): Promise<{ openUrl: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['bin/inferadmin.js', 'serve', '--port', '0'], {
    cwd: root,
    env: { ...process.env, INFERADMIN_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child = proc
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: proc.stdout! })
    lines.on('line', (line) => {
      const m = /(http:\/\/\S+\?token=\S+)/.exec(line)
      if (m?.[1]) resolvePromise({ openUrl: m[1], proc })
    })
    proc.once('exit', (code) => reject(new Error(`serve exited with ${code} before printing a URL: ${stderr}`)))
  })
}

describe('inferadmin serve', () => {
  it('prints a URL with the token, writes server.json 0600, guards the API, and stops cleanly on SIGTERM', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-serve-'))
    const { openUrl, proc } = await serve(home)
    const file = join(home, 'server.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const { url, token } = JSON.parse(readFileSync(file, 'utf8')) as { url: string; token: string }
    expect(openUrl).toBe(`${url}/?token=${token}`)

    expect((await fetch(`${url}/api/v1/health`)).status).toBe(401)
    const ok = await fetch(`${url}/api/v1/health`, { headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ status: 'ok' })
    const doc = (await (await fetch(`${url}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${token}` } })).json()) as { paths: object }
    expect(Object.keys(doc.paths)).toContain('/settings')

    // SIGTERM ends it cleanly (exit 0); a hang would run into the test's timeout
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
    proc.kill('SIGTERM')
    expect(await exited).toBe(0)
    await expect(fetch(`${url}/api/v1/health`)).rejects.toThrow()
  })

  it('refuses a bad port with a clear message', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-serve-'))
    const proc = spawn(process.execPath, ['bin/inferadmin.js', 'serve', '--port', 'abc'], { cwd: root, env: { ...process.env, INFERADMIN_HOME: home } })
    child = proc
    let err = ''
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const code = await new Promise<number | null>((r) => proc.once('exit', r))
    expect(code).toBe(2)
    expect(err).toMatch(/--port must be a number/)
  })
})
