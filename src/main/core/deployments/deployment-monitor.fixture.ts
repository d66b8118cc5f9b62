/**
 * Test support for the deployment state machine: a scripted Docker (event stream, containers, inspect and
 * log answers, multiplexed log frames) behind the monitor's `docker` dependency, a real HTTP /health
 * endpoint, and a harness that records every status change and waits on conditions (no sleeps).
 * Only the Docker daemon is scripted; the monitor, runtime, event reader, log follower, frame demultiplexer
 * (dockerode's modem) and log analysis all run for real.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import Dockerode from 'dockerode'
import pino from 'pino'

type ContainerInfo = Dockerode.ContainerInfo
import type { DeploymentDefinition, OrphanContainer } from '../../../shared/contract/deployments'
import type { GpuService } from '../gpu/gpu-service'
import type { SettingsService } from '../settings/settings-service'
import { LABEL } from './container-spec'
import { DeploymentMonitor } from './deployment-monitor'
import type { Runtime } from './runtime'
import type { PhaseTimings } from './store'

interface Box {
  id: string
  name: string
  labels: Record<string, string>
  status: 'created' | 'running' | 'exited'
  exitCode: number
  startedAt: string
  created: number
  health: 'starting' | 'healthy' | null
  port: number
  lines: Buffer[]
  followers: PassThrough[]
}

/** One docker log frame (8-byte header: stream, 0, 0, 0, length BE32) carrying `at text\n`. */
function frame(stream: 'stdout' | 'stderr', at: string, text: string): Buffer {
  const payload = Buffer.from(`${at} ${text}\n`)
  const head = Buffer.alloc(8)
  head[0] = stream === 'stderr' ? 2 : 1
  head.writeUInt32BE(payload.length, 4)
  return Buffer.concat([head, payload])
}

export const IMAGE = 'vllm/vllm-openai:v0.11.0'
export const MODEL = 'Qwen/Qwen3-0.6B'

const notFound = (): Error => Object.assign(new Error('no such container'), { statusCode: 404 })

export class ScriptedDocker {
  readonly boxes = new Map<string, Box>()
  /** Every event stream the monitor opened (a reconnect opens a new one). */
  readonly eventStreams: PassThrough[] = []
  /** dockerode's real demultiplexer, on a client that never connects. */
  private readonly modem = new Dockerode({ socketPath: '/nonexistent/docker.sock' }).modem
  /** Log follow requests so far (the monitor following a container's log). */
  follows = 0
  /** Called after each event-stream or log-follow request (the harness waits on these). */
  onRequest: () => void = () => undefined
  private seq = 0

  getEvents = async (): Promise<NodeJS.ReadableStream> => {
    const s = new PassThrough()
    this.eventStreams.push(s)
    this.onRequest()
    return s
  }

  listContainers = async (): Promise<Dockerode.ContainerInfo[]> =>
    [...this.boxes.values()].map(
      (b) => ({ Id: b.id, Names: [`/${b.name}`], Labels: b.labels, Image: IMAGE, State: b.status, Created: b.created }) as ContainerInfo,
    )

  getContainer(id: string): Dockerode.Container {
    const box = (): Box => {
      const b = this.boxes.get(id)
      if (!b) throw notFound()
      return b
    }
    const inspect = async (): Promise<unknown> => {
      const b = box()
      return {
        State: {
          Status: b.status,
          Running: b.status === 'running',
          Restarting: false,
          ExitCode: b.exitCode,
          StartedAt: b.startedAt,
          ...(b.health ? { Health: { Status: b.health } } : {}),
        },
        HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(b.port) }] } },
        Config: { Labels: b.labels },
      }
    }
    const logs = async (o: { follow?: boolean; since?: number }): Promise<unknown> => {
      const b = box()
      const since = (o.since ?? 0) * 1000
      const kept = b.lines.filter((f) => Date.parse(f.subarray(8, 38).toString().split(' ')[0]!) >= since)
      if (!o.follow) return Buffer.concat(kept)
      const s = new PassThrough()
      for (const f of kept) s.write(f)
      // Docker ends a follow request on a container that is not running once the log is out.
      if (b.status === 'running') b.followers.push(s)
      else s.end()
      this.follows++
      this.onRequest()
      return s
    }
    return { id, modem: this.modem, inspect, logs } as unknown as Dockerode.Container
  }

  /** The daemon tells the monitor: a JSON line on the current event stream. */
  emit(action: string, id: string, extra: Record<string, string> = {}): void {
    const labels = this.boxes.get(id)?.labels ?? {}
    const e = { Type: 'container', Action: action, status: action, id, Actor: { ID: id, Attributes: { ...labels, ...extra } } }
    this.eventStreams.at(-1)?.write(`${JSON.stringify(e)}\n`)
  }

  /** A container of `deployment` (managed vLLM labels), created but not started. */
  create(id: string, deployment: string, port: number, opts: { emit?: boolean } = {}): void {
    const labels: Record<string, string> = { [LABEL.managed]: 'true', [LABEL.kind]: 'vllm', [LABEL.deployment]: deployment }
    Object.assign(labels, { [LABEL.model]: MODEL, [LABEL.port]: String(port) })
    const base = { id, name: `inferadmin-${deployment}`, labels, status: 'created' as const, exitCode: 0, port }
    this.boxes.set(id, { ...base, startedAt: '0001-01-01T00:00:00Z', created: ++this.seq, health: null, lines: [], followers: [] })
    if (opts.emit !== false) this.emit('create', id)
  }

  start(id: string, opts: { emit?: boolean } = {}): void {
    const b = this.boxes.get(id)!
    Object.assign(b, { status: 'running', exitCode: 0, startedAt: new Date().toISOString(), health: null })
    if (opts.emit !== false) this.emit('start', id)
  }

  /** The container's process writes a line (to the log and to every follower). */
  log(id: string, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const b = this.boxes.get(id)!
    const f = frame(stream, new Date().toISOString(), text)
    b.lines.push(f)
    for (const s of b.followers) s.write(f)
  }

  /** The process exits with `code`: followers end, then (unless the daemon is gone) a die event. */
  exit(id: string, code: number, opts: { emit?: boolean } = {}): void {
    const b = this.boxes.get(id)!
    Object.assign(b, { status: 'exited', exitCode: code, health: null })
    for (const s of b.followers.splice(0)) s.end()
    if (opts.emit !== false) this.emit('die', id, { exitCode: String(code) })
  }

  healthy(id: string): void {
    this.boxes.get(id)!.health = 'healthy'
    this.emit('health_status: healthy', id)
  }

  /** dockerd goes away: the event stream and every log stream end (a reconnect opens a new stream). */
  daemonGone(): void {
    this.eventStreams.at(-1)?.end()
    for (const b of this.boxes.values()) for (const s of b.followers.splice(0)) s.end()
  }
}

/** A real HTTP server that answers GET /health with `status` (vLLM's readiness endpoint). */
export async function healthEndpoint(status = 200): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => res.writeHead(req.url === '/health' ? status : 404).end())
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as AddressInfo).port, server }
}

export interface Harness {
  docker: ScriptedDocker
  monitor: DeploymentMonitor
  /** Per deployment: each distinct `state[:phase]` in order. */
  history: Map<string, string[]>
  saved: Map<string, PhaseTimings>
  orphanReports: OrphanContainer[][]
  until(what: string, cond: () => boolean, ms?: number): Promise<void>
}

/** A monitor over the scripted Docker for `ids` (definitions with no GPUs, no args), started. */
export function startMonitor(
  ids: string[],
  o: { docker?: ScriptedDocker; saved?: Map<string, PhaseTimings>; stoppedByApp?: Record<string, string> } = {},
): Harness {
  const docker = o.docker ?? new ScriptedDocker()
  const saved = o.saved ?? new Map<string, PhaseTimings>()
  const history = new Map<string, string[]>()
  const orphanReports: OrphanContainer[][] = []
  const waiters = new Set<() => void>()
  const notify = (): void => [...waiters].forEach((w) => w())
  docker.onRequest = notify
  const defs = new Map(ids.map((id) => [id, { id, name: id, args: {}, extraArgs: '', gpus: [] } as unknown as DeploymentDefinition]))
  const gpu = { onSnapshot: () => ({ dispose() {} }), snapshot: () => ({ status: 'ok', gpus: [] }) } as unknown as GpuService
  const settings = {
    get: () => ({ containerRefreshMs: 3_600_000, listenInterface: '127.0.0.1', gpuRefreshMs: 1000 }),
    onChange: () => ({ dispose() {} }),
  } as unknown as SettingsService
  const monitor = new DeploymentMonitor({
    docker: () => docker as unknown as Dockerode,
    gpu,
    settings,
    logger: pino({ level: 'silent' }),
    definitions: {
      find: (id) => defs.get(id),
      ids: () => [...defs.keys()],
      timingsOf: (id) => saved.get(id),
      saveTimings: (id, t) => void saved.set(id, t),
      stoppedByApp: (id) => o.stoppedByApp?.[id],
    },
  })
  monitor.onChange((r: Runtime) => {
    const h = history.get(r.id) ?? []
    const label = r.status.phase ? `${r.state}:${r.status.phase}` : r.state
    if (h.at(-1) !== label) h.push(label)
    history.set(r.id, h)
    notify()
  })
  monitor.onOrphans((list) => {
    orphanReports.push(list)
    notify()
  })
  for (const id of ids) {
    history.set(id, [monitor.runtime(id).state])
    monitor.runtime(id).onLine(notify)
  }
  monitor.start()
  const until = (what: string, cond: () => boolean, ms = 5000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return
        waiters.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`timed out waiting for: ${what}; history ${JSON.stringify(Object.fromEntries(history))}`))
      }, ms)
      waiters.add(check)
      check()
    })
  return { docker, monitor, history, saved, orphanReports, until }
}

/** A deployment job's step around Docker calls (deployment-jobs.ts): reconcile and events leave its state alone. */
export async function asJob(rt: Runtime, fn: () => void | Promise<void>): Promise<void> {
  await rt.operate(async () => fn())
}
