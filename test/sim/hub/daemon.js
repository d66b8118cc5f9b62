// @ts-check
/**
 * The Hub stand-in as a background process for `npm run sim -- up` / `down`: started detached
 * (`node test/sim/hub/server.js`), its {url, cdnUrl, pid} recorded in <sim dir>/hub.json, stopped by
 * that pid. `hubUp` reuses a recorded stand-in that still answers.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const SERVER = fileURLToPath(new URL('./server.js', import.meta.url))

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** @param {string} simDir @returns {{ url: string, cdnUrl: string, pid: number } | undefined} */
export function hubRecord(simDir) {
  const file = join(simDir, 'hub.json')
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

/**
 * Starts (or reuses) the background stand-in. `port` 0 = any free port.
 * @param {string} simDir @param {{ port?: number, host?: string, timeoutMs?: number }} [o]
 * @returns {Promise<{ url: string, cdnUrl: string, pid: number, reused: boolean }>}
 */
export async function hubUp(simDir, o = {}) {
  const rec = hubRecord(simDir)
  if (rec && alive(rec.pid)) {
    const ok = await fetch(`${rec.url}/api/models?limit=1`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return { ...rec, reused: true }
  }
  mkdirSync(simDir, { recursive: true })
  const logFile = join(simDir, 'hub.log')
  const out = openSync(logFile, 'w')
  const child = spawn(process.execPath, [SERVER, '--port', String(o.port ?? 0), '--host', o.host ?? '127.0.0.1'], {
    detached: true,
    stdio: ['ignore', out, out],
  })
  child.unref()
  const deadline = Date.now() + (o.timeoutMs ?? 15_000)
  for (;;) {
    const line = readFileSync(logFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('{'))
    if (line) {
      const r = JSON.parse(line)
      writeFileSync(join(simDir, 'hub.json'), JSON.stringify(r))
      return { ...r, reused: false }
    }
    if (child.exitCode !== null) throw new Error(`the Hub stand-in exited: ${readFileSync(logFile, 'utf8')}`)
    if (Date.now() > deadline) throw new Error(`the Hub stand-in did not start in time: ${readFileSync(logFile, 'utf8')}`)
    await sleep(50)
  }
}

/** Stops the recorded stand-in (by its pid). @param {string} simDir @returns {Promise<boolean>} stopped */
export async function hubDown(simDir) {
  const rec = hubRecord(simDir)
  rmSync(join(simDir, 'hub.json'), { force: true })
  if (!rec || !alive(rec.pid)) return false
  process.kill(rec.pid, 'SIGTERM')
  const deadline = Date.now() + 5000
  while (alive(rec.pid) && Date.now() < deadline) await sleep(50)
  if (alive(rec.pid)) process.kill(rec.pid, 'SIGKILL')
  return true
}
