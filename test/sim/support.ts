import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { inject } from 'vitest'
import { demuxStreams } from '../../src/main/core/docker/frames'
import { seedModel } from './seed.js'

/**
 * Helpers for the integration tests. The engine is reached only through DOCKER_HOST (set from the
 * globalSetup's `sim up` environment), exactly as the app reaches it.
 */
export function useSim(): { env: Record<string, string>; docker: Docker } {
  const env = inject('simEnv')
  Object.assign(process.env, env)
  return { env, docker: new Docker() }
}

/** Poll until `fn` returns a value other than undefined/false, or fail at the deadline. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** A temporary HF hub cache with the tiny chat, embedding, reranker and Whisper models. */
export async function seededHub(): Promise<{
  dir: string
  chat: string
  embed: string
  rerank: string
  whisper: string
  remove: () => void
}> {
  const dir = mkdtempSync(join(tmpdir(), 'inferadmin-sim-hub-'))
  const chat = await seedModel(dir, { kind: 'chat' })
  const embed = await seedModel(dir, { kind: 'embed' })
  const rerank = await seedModel(dir, { kind: 'rerank' })
  const whisper = await seedModel(dir, { kind: 'transcribe' })
  return {
    dir,
    chat: chat.repo,
    embed: embed.repo,
    rerank: rerank.repo,
    whisper: whisper.repo,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

export interface RunOptions {
  image: string
  args: string[]
  hubDir: string
  /** GPU UUIDs (DeviceIDs) or 'all'; null for no DeviceRequest. */
  gpus: string[] | 'all' | null
  env?: string[]
}

/** Create and start a simulated vLLM container the way the app does (dockerode, DeviceRequest, HF cache mount, published port). */
export async function runVllm(docker: Docker, o: RunOptions): Promise<{ container: Docker.Container; port: number; startedAt: number }> {
  const container = await docker.createContainer({
    Image: o.image,
    Cmd: o.args,
    Env: ['HF_HUB_OFFLINE=1', ...(o.env ?? [])],
    Labels: { 'inferadmin.sim.test': '1' },
    ExposedPorts: { '8000/tcp': {} },
    HostConfig: {
      Binds: [`${o.hubDir}:/root/.cache/huggingface/hub:ro`],
      PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      DeviceRequests:
        o.gpus === null
          ? []
          : [
              o.gpus === 'all'
                ? { Driver: '', Count: -1, DeviceIDs: null as unknown as string[], Capabilities: [['gpu']], Options: {} }
                : { Driver: '', Count: 0, DeviceIDs: o.gpus, Capabilities: [['gpu']], Options: {} },
            ],
    },
  })
  const startedAt = Date.now()
  await container.start()
  const info = await container.inspect()
  const port = Number(info.NetworkSettings.Ports['8000/tcp']?.[0]?.HostPort ?? 0)
  return { container, port, startedAt }
}

/** stdout+stderr of a container (the multiplexed stream decoded). */
export async function logs(c: Docker.Container): Promise<{ stdout: string; stderr: string; all: string }> {
  return demuxStreams((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer)
}

/** Wait for the container to exit; returns its exit code. */
export async function exitCode(c: Docker.Container, timeoutMs = 20_000): Promise<number> {
  return waitFor(
    'container exit',
    async () => {
      const s = (await c.inspect()).State
      return s.Running ? undefined : s.ExitCode
    },
    timeoutMs,
  )
}

/** Run the stand-in nvidia-smi that `sim up` exported (INFERADMIN_NVIDIA_SMI). */
export function smi(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.env.INFERADMIN_NVIDIA_SMI ?? 'nvidia-smi', args, (err, stdout) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0, stdout })
    })
  })
}

/** memory.used (MiB) of one GPU by UUID. */
export async function usedMiB(uuid: string): Promise<number> {
  const r = await smi([`--id=${uuid}`, '--query-gpu=memory.used', '--format=csv,noheader,nounits'])
  return Number(r.stdout.trim())
}

/** Rows of --query-compute-apps=pid,gpu_uuid,used_memory. */
export async function computeApps(): Promise<{ pid: number; uuid: string; usedMiB: number }[]> {
  const r = await smi(['--query-compute-apps=pid,gpu_uuid,used_memory', '--format=csv,noheader,nounits'])
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pid, uuid, mib] = l.split(', ')
      return { pid: Number(pid), uuid: uuid ?? '', usedMiB: Number(mib) }
    })
}

/** Does host process `pid` belong to container `id`? (/proc/<pid>/cgroup names the container.) */
export function pidInContainer(pid: number, id: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(id)
  } catch {
    return false
  }
}

/** Remove the containers the tests created. */
export async function removeTestContainers(docker: Docker): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: ['inferadmin.sim.test=1'] }) })
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true })))
}

/**
 * fetch with a deadline. Always bound requests to a published port: a connection opened before the
 * container listens is held by docker-proxy while it retries its backend connect, and can stall for
 * seconds (Node's fetch then never settles on its own).
 */
export function request(port: number, path: string, init: RequestInit = {}, timeoutMs = 3_000): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) })
}

/** Wait until GET /health answers 200 (the server opens its port only when ready). */
export function healthy(port: number, timeoutMs = 10_000): Promise<true> {
  return waitFor('/health 200', async () => (await request(port, '/health', {}, 1_000)).status === 200 || undefined, timeoutMs, 50)
}
