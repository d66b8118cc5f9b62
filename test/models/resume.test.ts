import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Job } from '../../src/shared/contract/jobs'
import { startHubSim } from '../sim/hub/server.js'
import { sha256, TINY, until, walk } from './support'

const repoRoot = resolve(import.meta.dirname, '../..')
type Sim = Awaited<ReturnType<typeof startHubSim>>
type LogEntry = Sim['log'][number]
let sim: Sim
let child: ChildProcess | undefined

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'out/main/server.js')))
    throw new Error('out/main/server.js is missing: run `npx electron-vite build` first (npm test does).')
  sim = await startHubSim()
})
afterAll(async () => {
  await sim.close()
})
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
})

/** The real headless server (`inferadmin serve --port 0`) with its own home and the stand-in as Hub. */
async function serve(home: string): Promise<{ api: (path: string, init?: RequestInit) => Promise<Response>; proc: ChildProcess }> {
  const serverFile = join(home, 'server.json')
  const proc = spawn(process.execPath, ['bin/inferadmin.js', 'serve', '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, INFERADMIN_HOME: home, HF_ENDPOINT: sim.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child = proc
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  // server.json is rewritten by every start: wait for one newer than the process
  const startedAt = Date.now() - 1000
  await until(
    () => proc.exitCode === null && existsSync(serverFile) && statSync(serverFile).mtimeMs >= startedAt && /token=/.test(out),
    30_000,
    `server start (${out})`,
  )
  const { url, token } = JSON.parse(readFileSync(serverFile, 'utf8')) as { url: string; token: string }
  const api = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    })
  return { api, proc }
}

async function job(api: (p: string) => Promise<Response>, id: string): Promise<Job> {
  return (await (await api(`/jobs/${id}`)).json()) as Job
}

describe('kill -9 in the middle of a multi-file download', () => {
  it('resumes on its own at the next start: complete files are not fetched again, partials continue, every checksum matches', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inferadmin-kill-'))
    const blobs = join(home, 'models', `models--${TINY.replace('/', '--')}`, 'blobs')
    const tiny = sim.repos.get(TINY)
    const shard2 = [...(tiny?.commits.get(tiny.refs.main ?? '')?.files ?? [])].find(([p]) => p === 'model-00002-of-00002.safetensors')?.[1]
    const shard2Sha = await shard2?.sha256()
    // the big shard trickles; everything else is instant
    sim.faults.throttle({ route: 'cdn', match: 'model-00002', bytesPerSec: 1 << 20 })

    const first = await serve(home)
    const res = await first.api('/models/pull', { method: 'POST', body: JSON.stringify({ repo: TINY }) })
    expect(res.status).toBe(200)
    const started = (await res.json()) as Job
    expect(started.kind).toBe('model.pull')

    // wait until shard 1 is complete and shard 2 is partly on disk (its sidecar says > 1.5 MB written)
    const sidecar = join(blobs, `${shard2Sha}.incomplete.json`)
    await until(
      () => {
        if (!existsSync(sidecar)) return false
        const rec = JSON.parse(readFileSync(sidecar, 'utf8')) as { done: number[] }
        return rec.done.reduce((a, b) => a + b, 0) > 1_500_000
      },
      30_000,
      'shard 2 partly written',
    )
    const completeBefore = readdirSync(blobs).filter((f) => !f.includes('.incomplete'))
    expect(completeBefore.length).toBeGreaterThanOrEqual(8) // configs, tokenizer, index, shard 1
    const filesBefore = new Set(sim.log.filter((e: LogEntry) => e.status === 200 || e.status === 206).map((e: LogEntry) => e.file))
    const exited = new Promise((r) => first.proc.once('exit', r))
    first.proc.kill('SIGKILL')
    await exited
    const partial = statSync(join(blobs, `${shard2Sha}.incomplete`)).size
    expect(partial).toBeGreaterThan(1_500_000)
    sim.faults.clear()
    sim.clearLog()
    // The stand-in logs a request when its response ends: the killed process's throttled request may be
    // logged after clearLog(), so only requests that started after the restart count.
    const restartAt = Date.now()

    // start again: the job resumes by itself (no request from us but polling its state)
    const second = await serve(home)
    let last: Job | undefined
    await until(
      async () => {
        last = await job(second.api, started.id)
        return last.state === 'done' || last.state === 'failed'
      },
      60_000,
      'resumed job to finish',
    )
    expect(last?.state).toBe('done')

    const after = sim.log.filter((e: LogEntry) => e.t >= restartAt && (e.route === 'resolve' || e.route === 'cdn'))
    const filesAfter = new Set(after.map((e: LogEntry) => e.file))
    // only the unfinished shard was fetched again, from where the partial ended (a sidecar can lag by < 1 s of data)
    expect([...filesAfter]).toEqual(['model-00002-of-00002.safetensors'])
    expect(filesBefore.has('config.json')).toBe(true)
    const ranged = after.filter((e: LogEntry) => e.origin === 'cdn' && e.status === 206)
    expect(ranged.length).toBeGreaterThan(0)
    const from = Number(/^bytes=(\d+)-/.exec(ranged[0]?.range ?? '')?.[1])
    expect(from).toBeGreaterThan(1_000_000)

    // a valid cache: every blob's checksum is its name, nothing .incomplete left
    const files = walk(join(blobs, '..'))
    expect(files.filter((f) => f.includes('incomplete'))).toEqual([])
    for (const b of readdirSync(blobs)) if (b.length === 64) expect(sha256(join(blobs, b))).toBe(b)
    expect(readFileSync(join(blobs, '..', 'refs', 'main'), 'utf8')).toBe(tiny?.refs.main)

    const exited2 = new Promise((r) => second.proc.once('exit', r))
    second.proc.kill('SIGTERM')
    await exited2
  })
})
