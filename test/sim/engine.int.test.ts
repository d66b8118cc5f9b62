import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Docker from 'dockerode'
import { afterAll, describe, expect, it } from 'vitest'
import { simPaths } from './config.js'
import { PROFILES } from './gpus/profiles.js'
import { isAlive } from './gpus/procs.js'
import { exitCode, healthy, runVllm, seededHub } from './support'

const CLI = resolve(import.meta.dirname, 'cli.js')

/** Run `npm run sim -- <args>` (node test/sim/cli.js) on its own state directory, without a DOCKER_HOST. */
function sim(simDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, INFERADMIN_SIM_DIR: simDir }
  delete env.DOCKER_HOST
  return new Promise((res) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 170_000 }, (err, stdout, stderr) => {
      res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

/** Host processes whose command line or cgroup mentions `needle`. */
function processesMentioning(needle: string): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8')
      const cg = readFileSync(`/proc/${name}/cgroup`, 'utf8')
      if (cmd.includes(needle) || cg.includes(needle)) pids.push(Number(name))
    } catch {
      /* exited meanwhile */
    }
  }
  return pids
}

const simDir = mkdtempSync(join(tmpdir(), 'inferadmin-sim-engine-'))
afterAll(async () => {
  await sim(simDir, ['down', '--purge'])
})

describe('sim up / down (own state directory, private dockerd)', () => {
  it('up twice → one engine, the images built once; down → nothing of ours left running', { timeout: 240_000 }, async () => {
    const p = simPaths(simDir)
    const first = await sim(simDir, ['up', '--private'])
    expect(first.code, first.stderr).toBe(0)
    const built = /images: (\d+) built, (\d+) reused \(([\d.]+) s\)/.exec(first.stderr)
    expect(built, first.stderr).not.toBeNull()
    expect(Number(built![1])).toBe(6)
    expect(Number(built![3])).toBeGreaterThan(0) // how long it takes is a benchmark figure (npm run bench), not a test
    expect(first.stdout).toContain(`export DOCKER_HOST=unix://${p.socket}\n`)
    expect(first.stdout).toMatch(/^export INFERADMIN_NVIDIA_SMI=.*\/bin\/nvidia-smi$/m)
    expect(first.stdout).toContain('export INFERADMIN_SIM_VLLM_IMAGE=inferadmin-sim/vllm-openai\n')
    expect(readFileSync(p.envFile, 'utf8')).toContain(first.stdout)
    const pid = Number(readFileSync(p.pidFile, 'utf8'))

    const second = await sim(simDir, ['up', '--private'])
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toBe(first.stdout)
    expect(second.stderr).toMatch(/images: 0 built, 6 reused/)
    expect(Number(readFileSync(p.pidFile, 'utf8'))).toBe(pid)
    const dockerds = processesMentioning(p.socket).filter((x) => readFileSync(`/proc/${x}/cmdline`, 'utf8').startsWith('/usr/sbin/dockerd'))
    expect(dockerds).toEqual([pid])

    // Something running inside it: a simulated vLLM on the engine's GPU 0.
    const docker = new Docker({ socketPath: p.socket })
    const hub = await seededHub()
    try {
      const { container, port } = await runVllm(docker, {
        image: 'inferadmin-sim/vllm-openai:latest',
        hubDir: hub.dir,
        gpus: [PROFILES.default!.gpus[0]!.uuid],
        args: [hub.chat, '--gpu-memory-utilization', '0.4'],
      })
      await healthy(port)
      expect(processesMentioning(container.id).length).toBeGreaterThan(0)

      const gone = await sim(simDir, ['down'])
      expect(gone.code, gone.stderr).toBe(0)
      expect(gone.stderr).toMatch(/engine stopped/)
      expect(processesMentioning(container.id)).toEqual([])
      await expect(exitCode(container, 1000)).rejects.toThrow()
    } finally {
      hub.remove()
    }
    // (a just-stopped dockerd may linger as a zombie until init reaps it: not running)
    expect(isAlive(pid)).toBe(false)
    expect(processesMentioning(p.runDir)).toEqual([])
    expect(processesMentioning(p.dataRoot)).toEqual([])
    expect(existsSync(p.socket)).toBe(false)
    expect(readFileSync('/proc/net/dev', 'utf8')).not.toContain(p.bridge)
    const again = await sim(simDir, ['down'])
    expect(again.stderr).toMatch(/nothing of ours was running/)
  })
})
