import { readFile } from 'node:fs/promises'
import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import { dockerUnreachableText } from '../docker/errors'
import type { ContainerRef, PidResolver } from './attribution'

const CONTAINER_ID = /[0-9a-f]{64}/g

/** Container ids named in a /proc/<pid>/cgroup file (cgroup v1 and v2, cgroupfs and systemd drivers). */
export function containerIdsFromCgroup(text: string): string[] {
  const ids = new Set<string>()
  for (const line of text.split('\n')) for (const m of line.matchAll(CONTAINER_ID)) ids.add(m[0])
  return [...ids]
}

function refOf(c: Dockerode.ContainerInfo): ContainerRef {
  return { id: c.Id, name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''), labels: c.Labels ?? {} }
}

/**
 * PID → container: first /proc/<pid>/cgroup (cheap, works for host PIDs); for PIDs this process
 * cannot see (another PID namespace), `GET /containers/{id}/top` on each running container, once
 * per PID and set of running containers.
 */
export function createDockerPidResolver(opts: { docker: () => Dockerode; logger: Logger; procRoot?: string }): PidResolver {
  const procRoot = opts.procRoot ?? '/proc'
  let warned = false
  // PIDs no running container's top listed, with the container set they were checked against:
  // host processes (a desktop app on the GPU) must not cost a `top` per container every cadence.
  const notInContainers = new Map<number, string>()
  return async (pids, signal) => {
    const out = new Map<number, ContainerRef>()
    if (pids.length === 0) return out
    let running: Dockerode.ContainerInfo[]
    try {
      running = await opts.docker().listContainers({ abortSignal: signal })
      warned = false
    } catch (err) {
      if (!warned) opts.logger.warn(`GPU attribution: ${dockerUnreachableText(err)}; GPU processes show as other use`)
      warned = true
      return out
    }
    const byId = new Map(running.map((c) => [c.Id, c]))
    const setKey = running
      .map((c) => c.Id)
      .sort()
      .join(',')
    const unreadable: number[] = []
    await Promise.all(
      pids.map(async (pid) => {
        try {
          const text = await readFile(`${procRoot}/${pid}/cgroup`, 'utf8')
          const hit = containerIdsFromCgroup(text).find((id) => byId.has(id))
          const info = hit ? byId.get(hit) : undefined
          if (info) out.set(pid, refOf(info))
        } catch {
          // not visible from here (another PID namespace, or gone): ask Docker below
          unreadable.push(pid)
        }
      }),
    )
    const left = new Set(unreadable.filter((p) => notInContainers.get(p) !== setKey))
    for (const [pid] of notInContainers) if (!pids.includes(pid)) notInContainers.delete(pid)
    const asked = [...left]
    for (const info of running) {
      if (left.size === 0 || signal?.aborted) break
      try {
        const top = (await opts.docker().getContainer(info.Id).top()) as { Titles?: string[]; Processes?: string[][] }
        const col = (top.Titles ?? []).indexOf('PID')
        if (col < 0) continue
        for (const proc of top.Processes ?? []) {
          const pid = Number(proc[col])
          if (left.has(pid)) {
            out.set(pid, refOf(info))
            left.delete(pid)
          }
        }
      } catch (err) {
        opts.logger.debug({ err: (err as Error).message, container: info.Id }, 'container top failed')
      }
    }
    for (const pid of asked) if (!out.has(pid)) notInContainers.set(pid, setKey)
    return out
  }
}
