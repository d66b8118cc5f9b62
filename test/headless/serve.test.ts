import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')

beforeAll(() => {
  if (!existsSync(join(root, 'out/main/server.js')))
    throw new Error('out/main/server.js is missing: run `npm run build` before this test (npm test does).')
})

let child: ChildProcess | undefined
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
})

/** Starts `inferadmin serve --port 0` and resolves with the URL line it prints. */
function serve(home: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ openUrl: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['bin/inferadmin.js', 'serve', '--port', '0', ...args], {
    cwd: root,
    env: { ...process.env, ...env, INFERADMIN_HOME: home },
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

type ServerJson = { url: string; token: string }
const readServer = (home: string): ServerJson => JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as ServerJson

async function stop(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r))
  proc.kill('SIGTERM')
  await exited
}

/** Status of GET /api/v1/health with these headers (node:http: the Host header is ours to choose). */
function health(url: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: '/api/v1/health', headers: { host: u.host, ...headers } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
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
    const doc = (await (await fetch(`${url}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      paths: object
    }
    expect(Object.keys(doc.paths)).toContain('/settings')

    // SIGTERM ends it cleanly (exit 0); a hang would run into the test's timeout
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
    proc.kill('SIGTERM')
    expect(await exited).toBe(0)
    await expect(fetch(`${url}/api/v1/health`)).rejects.toThrow()
  })

  it('keeps browser sessions across a restart; --new-token ends them and retires the old token', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-serve-'))
    const first = await serve(home)
    const { token } = readServer(home)
    const link = await fetch(first.openUrl, { redirect: 'manual' })
    const cookie = (link.headers.get('set-cookie') ?? '').split(';')[0] as string
    expect(cookie).toMatch(/^inferadmin_session=/)
    expect(cookie).not.toContain(token)
    expect(await health(readServer(home).url, { cookie })).toBe(200)
    await stop(first.proc)

    await serve(home)
    expect(readServer(home).token).toBe(token)
    expect(await health(readServer(home).url, { cookie })).toBe(200)
    await stop(child!)

    await serve(home, ['--new-token'])
    const renewed = readServer(home)
    expect(renewed.token).not.toBe(token)
    expect(await health(renewed.url, { cookie })).toBe(401)
    expect(await health(renewed.url, { authorization: `Bearer ${token}` })).toBe(401)
    expect(await health(renewed.url, { authorization: `Bearer ${renewed.token}` })).toBe(200)
  })

  it('answers the host names of INFERADMIN_ALLOWED_HOSTS and refuses a bad list with a clear message', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-serve-'))
    await serve(home, [], { INFERADMIN_ALLOWED_HOSTS: 'admin.example.com' })
    const { url, token } = readServer(home)
    const auth = { authorization: `Bearer ${token}` }
    expect(await health(url, { ...auth, host: 'admin.example.com' })).toBe(200)
    expect(await health(url, { ...auth, host: 'other.example.com' })).toBe(421)
    await stop(child!)

    const env = { ...process.env, INFERADMIN_HOME: home, INFERADMIN_ALLOWED_HOSTS: 'http://x' }
    const proc = spawn(process.execPath, ['bin/inferadmin.js', 'serve', '--port', '0'], { cwd: root, env })
    child = proc
    let err = ''
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()))
    expect(await new Promise<number | null>((r) => proc.once('exit', r))).toBe(2)
    expect(err).toMatch(/INFERADMIN_ALLOWED_HOSTS: "http:\/\/x" is not a host name/)
  })

  it('refuses a bad port with a clear message', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-serve-'))
    const proc = spawn(process.execPath, ['bin/inferadmin.js', 'serve', '--port', 'abc'], {
      cwd: root,
      env: { ...process.env, INFERADMIN_HOME: home },
    })
    child = proc
    let err = ''
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const code = await new Promise<number | null>((r) => proc.once('exit', r))
    expect(code).toBe(2)
    expect(err).toMatch(/--port must be a number/)
  })
})
