import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../sim/support'

/**
 * What a person sees when `inferadmin serve` starts on a machine with no GPU, no Docker and no internet: short
 * readable lines (where it runs, what is missing and the fix), never JSON or a stack; the JSON stays in the log file.
 */

const root = resolve(import.meta.dirname, '../..')
// Port 9 (discard) has nothing listening; fetch refuses it outright, like a network without a route.
const NOWHERE = 'http://127.0.0.1:9'
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version

beforeAll(() => {
  if (!existsSync(join(root, 'out/main/server.js'))) {
    throw new Error('out/main/server.js is missing: run `npx electron-vite build` before this test (npm test does).')
  }
})

let child: ChildProcess | undefined
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
})

interface Run {
  proc: ChildProcess
  home: string
  /** stdout and stderr together, in arrival order. */
  output(): string
  exited: Promise<number | null>
}

/** `node bin/inferadmin.js <args>` in a fresh INFERADMIN_HOME where Docker, nvidia-smi, the Hub and Docker Hub are all missing. */
function launch(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const home = mkdtempSync(join(tmpdir(), 'inferadmin-console-'))
  const base = { ...process.env }
  delete base.INFERADMIN_LOG_LEVEL
  const proc = spawn(process.execPath, ['bin/inferadmin.js', ...args], {
    cwd: root,
    env: {
      ...base,
      INFERADMIN_HOME: home,
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      INFERADMIN_NVIDIA_SMI: join(home, 'no-such-nvidia-smi'),
      HF_ENDPOINT: NOWHERE,
      INFERADMIN_DOCKERHUB_API: NOWHERE,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child = proc
  let text = ''
  proc.stdout.on('data', (d: Buffer) => (text += d.toString()))
  proc.stderr.on('data', (d: Buffer) => (text += d.toString()))
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
  return { proc, home, output: () => text, exited }
}

async function api<T>(home: string, path: string): Promise<T> {
  const { url, token } = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { url: string; token: string }
  const res = await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } })
  return (await res.json()) as T
}

/** Waits until the server has served and the startup checks (GPU sampler, tag list, doctor) have reported. */
async function startedAndChecked(run: Run): Promise<void> {
  const served = waitFor('the URL line', () => /token=/.test(run.output()), 60_000)
  await Promise.race([served, run.exited.then((code) => Promise.reject(new Error(`exited with ${code} before serving: ${run.output()}`)))])
  const gpus = (): Promise<{ fault: { kind: string } | null }> => api(run.home, '/gpus')
  await waitFor('the GPU fault in GET /gpus', async () => (await gpus()).fault?.kind === 'nvidia-smi-missing')
  const tags = (): Promise<{ error: unknown }> => api(run.home, '/engine/tags')
  await waitFor('the tag-list error in GET /engine/tags', async () => (await tags()).error !== null)
  // The doctor's Docker check has no REST trace of its own: its line on the console is the event.
  await waitFor(`the Docker line (output so far: ${run.output()})`, () => /Docker is not reachable/.test(run.output()))
}

async function stop(run: Run): Promise<number | null> {
  run.proc.kill('SIGTERM')
  return run.exited
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '')

function parsesAsJson(line: string): boolean {
  try {
    JSON.parse(line)
    return true
  } catch {
    return false
  }
}

function logEntries(home: string): Array<Record<string, unknown>> {
  const dir = join(home, 'logs')
  const text = readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('')
  return lines(text).map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('the console of inferadmin serve', () => {
  it('says where it runs and what is missing with the fix in a few lines; JSON only in the log file', { timeout: 90_000 }, async () => {
    const run = launch(['serve', '--port', '0'])
    await startedAndChecked(run)
    expect(await stop(run)).toBe(0)
    const out = lines(run.output())

    expect(out.length, out.join('\n')).toBeLessThanOrEqual(10)
    expect(out.filter(parsesAsJson)).toEqual([])
    expect(out.filter((l) => l.includes('    at '))).toEqual([])
    const { url } = JSON.parse(readFileSync(join(run.home, 'server.json'), 'utf8')) as { url: string }
    expect(out).toContain(`InferAdmin ${version} is running headless at ${url}`)
    expect(out.some((l) => l.startsWith(`  Open: ${url}/?token=`))).toBe(true)
    // Each missing piece: named, then its fix on the next line.
    const fixAfter = (pattern: RegExp): string | undefined => out[out.findIndex((l) => pattern.test(l)) + 1]
    const gpu = /^warning: GPU telemetry unavailable: nvidia-smi was not found/
    expect(fixAfter(gpu)).toMatch(/^ {2}fix: Install the NVIDIA driver.*INFERADMIN_NVIDIA_SMI/)
    const docker = /^warning: Docker is not reachable: no Docker socket at unix:\/\/\/nonexistent\/docker\.sock/
    expect(fixAfter(docker)).toMatch(/^ {2}fix: Start Docker/)
    const hub = /^warning: vLLM tag list not refreshed: Could not reach http:\/\/127\.0\.0\.1:9/
    expect(fixAfter(hub)).toMatch(/^ {2}fix: Check the network connection/)
    expect(out.at(-1)).toBe('InferAdmin stopped.')

    const entries = logEntries(run.home)
    const byMsg = (msg: string): Record<string, unknown> | undefined => entries.find((e) => e.msg === msg)
    expect(byMsg('GPU telemetry unavailable')).toMatchObject({ level: 40, fault: { kind: 'nvidia-smi-missing' } })
    expect(byMsg('vLLM tag list not refreshed')).toMatchObject({ level: 40, repository: 'vllm/vllm-openai', fix: expect.any(String) })
    expect(entries.find((e) => e.check === 'docker')).toMatchObject({ level: 40, fix: expect.stringMatching(/Start Docker/) })
    // The routine entries the console leaves out are in the file.
    expect(byMsg('core started')).toMatchObject({ level: 30, mode: 'headless' })
    expect(byMsg('headless server listening')).toMatchObject({ level: 30, url })
  })

  it('--log-level debug (also through `start`) shows more; a bogus level exits 2 naming the choices', { timeout: 90_000 }, async () => {
    const run = launch(['start', '--headless', '--port', '0', '--log-level', 'debug'])
    await startedAndChecked(run)
    expect(await stop(run)).toBe(0)
    const out = lines(run.output())
    expect(out[0]).toBe('inferadmin: Headless requested (--headless); starting the headless server instead.')
    const paths = JSON.stringify({ configDir: run.home, dataDir: run.home })
    expect(out).toContain(`core started (mode=headless, version=${version}, paths=${paths})`)
    expect(out.some((l) => l.startsWith('debug: '))).toBe(true)
    expect(out.length).toBeGreaterThan(12)
    expect(out.filter((l) => l.includes('    at ') || parsesAsJson(l))).toEqual([])

    const bogus = launch(['serve', '--port', '0', '--log-level', 'bogus'])
    expect(await bogus.exited).toBe(2)
    expect(bogus.output()).toBe('inferadmin: --log-level must be one of trace, debug, info, warn, error, fatal, silent (got "bogus")\n')
    const fromEnv = launch(['serve', '--port', '0'], { INFERADMIN_LOG_LEVEL: 'loud' })
    expect(await fromEnv.exited).toBe(2)
    expect(fromEnv.output()).toMatch(/^inferadmin: INFERADMIN_LOG_LEVEL must be one of .* \(got "loud"\)\n$/)
  })
})
