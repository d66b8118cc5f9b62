import type Dockerode from 'dockerode'
import type { LogLine, OrphanContainer } from '../../../shared/contract/deployments'
import { AppError } from '../errors'
import { listenIterator } from '../events/listen-iterator'
import { chatStream } from './chat'
import type { DeploymentDefinitions } from './definitions'
import type { DeploymentMonitor } from './deployment-monitor'
import { apiKeyOf, type GatewayFront } from './deployment-jobs'
import { parseLogBuffer } from './log-follower'

/**
 * What a person looks at beside the lifecycle: a deployment's log (kept lines or Docker's), a test chat against its
 * endpoint, and our containers whose definition is gone. Read-only towards the definitions and the state machine.
 */
export class DeploymentInspector {
  constructor(
    private readonly o: { docker: () => Dockerode; definitions: DeploymentDefinitions; monitor: DeploymentMonitor; front?: GatewayFront },
  ) {}

  async logs(id: string, tail: number, search?: string): Promise<{ lines: LogLine[]; containerId: string | null }> {
    const rt = this.o.monitor.runtime(this.o.definitions.get(id).id)
    let lines = rt.lines
    const cid = rt.status.containerId
    if (cid) {
      try {
        const container = this.o.docker().getContainer(cid)
        const raw = await container.logs({ stdout: true, stderr: true, timestamps: true, tail, follow: false })
        lines = parseLogBuffer(raw as unknown as Buffer)
      } catch {
        /* gone: the kept lines */
      }
    }
    const q = search?.toLowerCase()
    const hit = q ? lines.filter((l) => l.text.toLowerCase().includes(q)) : lines
    return { lines: hit.slice(-tail), containerId: cid }
  }

  followLogs(id: string, tail: number, signal?: AbortSignal): AsyncGenerator<LogLine> {
    const rt = this.o.monitor.runtime(this.o.definitions.get(id).id)
    return listenIterator<LogLine>((push) => rt.onLine(push), signal, { initial: () => (tail ? rt.lines.slice(-tail) : []) })
  }

  /** A streamed chat completion from the deployment's endpoint (served name and API key from its args). */
  async *chat(
    id: string,
    messages: { role: string; content: string }[],
    maxTokens: number,
    signal?: AbortSignal,
  ): AsyncGenerator<{ delta: string }> {
    const def = this.o.definitions.get(id)
    const st = this.o.monitor.runtime(id).status
    if (st.state !== 'ready' || !st.endpoint)
      throw new AppError('CONFLICT', `"${def.name}" is ${st.state}, not ready.`, { fix: 'Start it and wait until it is ready.' })
    const first = (v: unknown): string | undefined =>
      Array.isArray(v) ? (v[0] as string | undefined) : typeof v === 'string' ? v.split(/\s+/)[0] : undefined
    const model = first(def.args['--served-model-name']) ?? def.model.repo
    const { key } = apiKeyOf(def, this.o.front)
    yield* chatStream({ endpoint: st.endpoint, model, apiKey: key, messages, maxTokens, signal })
  }

  orphans(): OrphanContainer[] {
    return this.o.monitor.orphans
  }

  async removeOrphan(containerId: string): Promise<{ removed: boolean }> {
    await this.o.monitor.reconcile()
    if (!this.o.monitor.isOrphan(containerId))
      throw new AppError('NOT_FOUND', 'No orphaned deployment container with that id.', {
        fix: 'Refresh the list; only containers whose definition was deleted can be removed here.',
      })
    await this.o.docker().getContainer(containerId).remove({ force: true })
    await this.o.monitor.reconcile()
    return { removed: true }
  }
}
