import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createORPCClient } from '@orpc/client'
import { RPCLink } from '@orpc/client/websocket'
import type Docker from 'dockerode'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import WebSocket from 'ws'
import type { ApiClient } from '../../src/shared/contract'
import type { Deployment, DeploymentSpecInput } from '../../src/shared/contract/deployments'
import type { Job } from '../../src/shared/contract/jobs'
import { waitFor as simWaitFor } from '../sim/support'

export const repoRoot = resolve(import.meta.dirname, '../..')

export interface Server {
  proc: ChildProcess
  url: string
  api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>
  output(): string
  /** The typed RPC client over WebSocket /rpc (streams and RPC-only procedures). */
  rpc(): Promise<{ client: ApiClient; close(): void }>
  kill(signal?: NodeJS.Signals): Promise<void>
}

/**
 * The real headless server (`inferadmin serve --port 0`, a child process, like the app) with its own
 * home, against the simulated workstation's engine and GPUs.
 */
export async function serve(home: string, env: Record<string, string>): Promise<Server> {
  if (!existsSync(join(repoRoot, 'out/main/server.js')))
    throw new Error('out/main/server.js is missing: run `npx electron-vite build` first (npm test does).')
  const serverFile = join(home, 'server.json')
  const startedAt = Date.now() - 1000
  const proc = spawn(process.execPath, ['bin/inferadmin.js', 'serve', '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, ...env, INFERADMIN_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  await waitFor(
    `server start (${out.slice(-500)})`,
    () => proc.exitCode === null && existsSync(serverFile) && statSync(serverFile).mtimeMs >= startedAt && /token=/.test(out),
    60_000,
  )
  const { url, token } = JSON.parse(readFileSync(serverFile, 'utf8')) as { url: string; token: string }
  return {
    proc,
    url,
    output: () => out,
    rpc: async () => {
      const ws = new WebSocket(url.replace('http', 'ws') + '/rpc', { headers: { authorization: `Bearer ${token}`, origin: url } })
      await new Promise((res, rej) => {
        ws.once('open', res)
        ws.once('error', rej)
      })
      return {
        client: createORPCClient<ApiClient>(new RPCLink({ websocket: ws as unknown as globalThis.WebSocket })),
        close: () => ws.close(),
      }
    },
    api: async <T>(method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await res.text()
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T }
    },
    kill: async (signal = 'SIGTERM') => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill(signal)
      await exited
    },
  }
}

/** A fresh home with quick GPU/container refresh and the given store content; no gateway (these tests reach containers directly). */
export function makeHome(home: string): void {
  mkdirSync(home, { recursive: true })
  writeFileSync(
    join(home, 'settings.json'),
    JSON.stringify({ gpuRefreshMs: 500, containerRefreshMs: 2000, listenInterface: '127.0.0.1', gatewayEnabled: false }),
  )
}

/** Poll until `fn` returns something other than undefined/false, or fail at the deadline naming `what`. */
export function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  return simWaitFor(what, fn, timeoutMs, everyMs)
}

export async function createDeployment(s: Server, spec: DeploymentSpecInput): Promise<Deployment> {
  const r = await s.api<Deployment>('POST', '/deployments', spec)
  if (r.status !== 200) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

export async function action(s: Server, id: string, verb: 'start' | 'stop' | 'restart'): Promise<Job> {
  const r = await s.api<Job>('POST', `/deployments/${id}/${verb}`)
  if (r.status !== 200) throw new Error(`${verb} failed: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

export async function getDeployment(s: Server, id: string): Promise<Deployment> {
  return (await s.api<Deployment>('GET', `/deployments/${id}`)).body
}

/** Wait for a state, recording every state/phase seen on the way (polled quickly). */
export async function waitState(s: Server, id: string, state: string, timeoutMs = 30_000, seen: string[] = []): Promise<Deployment> {
  return waitFor(
    `deployment ${id} ${state} (seen: ${seen.join(' → ')})`,
    async () => {
      const d = await getDeployment(s, id)
      const label = d.status.phase ? `${d.status.state}:${d.status.phase}` : d.status.state
      if (seen[seen.length - 1] !== label) seen.push(label)
      if (d.status.state === 'failed' && state !== 'failed') throw new Error(`failed: ${JSON.stringify(d.status.diagnosis)}`)
      return d.status.state === state ? d : undefined
    },
    timeoutMs,
    25,
  )
}

/** Our containers (label inferadmin.kind=vllm) in the engine. */
export async function ourContainers(docker: Docker): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: ['inferadmin.kind=vllm'] }) })
}

/** Read an SSE chat completion stream; returns the chunks' text. */
export async function streamChat(endpoint: string, model: string, prompt: string): Promise<{ chunks: number; text: string }> {
  const res = await fetch(`${endpoint}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, max_tokens: 16, messages: [{ role: 'user', content: prompt }] }),
  })
  if (!res.ok || !res.body) throw new Error(`chat: HTTP ${res.status}`)
  let chunks = 0
  let text = ''
  const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())
  for await (const { data } of events) {
    if (data === '[DONE]') continue
    const c = (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content
    if (c) {
      chunks++
      text += c
    }
  }
  return { chunks, text }
}
