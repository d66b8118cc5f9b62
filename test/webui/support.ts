import { createHash } from 'node:crypto'
import { createServer, type Server as NetServer } from 'node:net'
import type Docker from 'dockerode'
import type { Job } from '../../src/shared/contract/jobs'
import type { WebuiStatus } from '../../src/shared/contract/webui'
import { waitFor, type Server } from '../deployments/support'

/** What the simulated Open WebUI reports at GET /inferadmin-sim/state (test/sim/webui/server.js). */
export interface SimState {
  version: string
  instanceId: string
  starts: number
  secretKey: { firstStart: string; current: string }
  envAtStart: { openai: { OPENAI_API_BASE_URLS: string[] }; ollama: { ENABLE_OLLAMA_API: boolean } }
  config: { openai: { ENABLE_OPENAI_API: boolean; OPENAI_API_BASE_URLS: string[] }; ollama: { ENABLE_OLLAMA_API: boolean } }
  users: { email: string; role: string }[]
  connections: { url: string; reachable: boolean; models: string[]; error: string | null }[]
}

export const fingerprint = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 16)

export async function simState(port: number): Promise<SimState> {
  const res = await fetch(`http://127.0.0.1:${port}/inferadmin-sim/state`, { signal: AbortSignal.timeout(8000) })
  if (!res.ok) throw new Error(`state: HTTP ${res.status}`)
  return (await res.json()) as SimState
}

export async function webui(s: Server): Promise<WebuiStatus> {
  const r = await s.api<WebuiStatus>('GET', '/webui')
  if (r.status !== 200) throw new Error(`GET /webui: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

/** POST/DELETE a webui action and wait for its job to end; returns the finished job. */
export async function runJob(s: Server, method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<Job> {
  const r = await s.api<Job>(method, path, body)
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
  return waitFor(
    `job ${r.body.kind}`,
    async () => {
      const j = (await s.api<Job>('GET', `/jobs/${r.body.id}`)).body
      return j.state === 'done' || j.state === 'failed' || j.state === 'cancelled' ? j : undefined
    },
    timeoutMs,
    100,
  )
}

export function waitWebui(s: Server, what: string, pred: (w: WebuiStatus) => boolean, timeoutMs = 30_000): Promise<WebuiStatus> {
  return waitFor(
    `Open WebUI ${what}`,
    async () => {
      const w = await webui(s)
      return pred(w) ? w : undefined
    },
    timeoutMs,
    100,
  )
}

/** Our Open WebUI containers (label inferadmin.kind=webui). */
export function webuiContainers(docker: Docker): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: ['inferadmin.kind=webui'] }) })
}

export async function volumeExists(docker: Docker, name: string): Promise<boolean> {
  return docker
    .getVolume(name)
    .inspect()
    .then(
      () => true,
      () => false,
    )
}
export { freePort } from '../sim/ports.js'

export function occupy(port: number): Promise<NetServer> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(port, '0.0.0.0', () => resolve(srv))
  })
}
