import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const repoRoot = resolve(import.meta.dirname, '../../..')

export interface ServerInfo {
  url: string
  token: string
  home: string
}

export interface RunningServer extends ServerInfo {
  stop: () => Promise<void>
}

/**
 * Opens the token link without a browser and returns the session cookie it sets ("inferadmin_session=…"):
 * the cookie is a session of its own, never the token, so Node clients (WebSocket checks) log in this way.
 */
export async function sessionCookie(server: ServerInfo): Promise<string> {
  const res = await fetch(`${server.url}/?token=${encodeURIComponent(server.token)}`, { redirect: 'manual' })
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  if (res.status !== 302 || !cookie.includes('=')) throw new Error(`the token link did not set a session cookie (${res.status})`)
  return cookie
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/**
 * Starts the real headless server (`node bin/inferadmin.js serve --port 0`) in a fresh INFERADMIN_HOME
 * (or `opts.home`, removed on stop) and resolves once it has written server.json ({url, token}).
 * Needs `npm run build` first.
 */
export async function startServer(
  opts: { timeoutMs?: number; log?: boolean; home?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningServer> {
  if (!existsSync(join(repoRoot, 'out/main/server.js'))) {
    throw new Error('out/main/server.js is missing: run `npm run build` first (npm test does).')
  }
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'inferadmin-e2e-'))
  mkdirSync(home, { recursive: true, mode: 0o700 })
  // A server.json left by an earlier run would be read before this server writes its own.
  rmSync(join(home, 'server.json'), { force: true })
  const child: ChildProcess = spawn(process.execPath, ['bin/inferadmin.js', 'serve', '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env, INFERADMIN_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const collect = (d: Buffer): void => {
    output += d.toString()
    if (opts.log) process.stderr.write(d)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = new Promise<void>((r) => child.once('exit', () => r()))

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const killed = await Promise.race([exited.then(() => true), delay(10_000).then(() => false)])
      if (!killed) {
        child.kill('SIGKILL')
        await exited
      }
    }
    rmSync(home, { recursive: true, force: true })
  }

  // Bounded poll for server.json; fail early if the process dies.
  const file = join(home, 'server.json')
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000)
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`inferadmin serve exited (code ${child.exitCode}) before writing server.json:\n${output}`)
    }
    if (existsSync(file)) {
      try {
        const { url, token } = JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown; token?: unknown }
        if (typeof url === 'string' && typeof token === 'string') return { url, token, home, stop }
      } catch {
        // partially written; poll again
      }
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`inferadmin serve did not write ${file} in time:\n${output}`)
    }
    await delay(100)
  }
}
