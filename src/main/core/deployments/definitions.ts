import type { Logger } from 'pino'
import type { DeploymentDefinition } from '../../../shared/contract/deployments'
import { AppError } from '../errors'
import { DeploymentStore, type PhaseTimings } from './store'

/**
 * The saved deployment definitions (config as code) and the phase timings of each one's last load, kept in memory
 * and written through to the data dir. The one owner of that state: the service edits it, the monitor reads it.
 */
export class DeploymentDefinitions {
  private readonly defs = new Map<string, DeploymentDefinition>()
  private timings: Record<string, PhaseTimings> = {}
  private stopped: Record<string, string> = {}
  private readonly store: DeploymentStore

  constructor(o: { dataDir: string; logger: Logger }) {
    this.store = new DeploymentStore(o.dataDir, o.logger)
  }

  async load(): Promise<void> {
    for (const d of await this.store.loadDefinitions()) this.defs.set(d.id, d)
    this.timings = await this.store.loadTimings()
    this.stopped = await this.store.loadStopped()
  }

  ids(): string[] {
    return [...this.defs.keys()]
  }

  /** Oldest first. */
  all(): DeploymentDefinition[] {
    return [...this.defs.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  }

  find(id: string): DeploymentDefinition | undefined {
    return this.defs.get(id)
  }

  get(id: string): DeploymentDefinition {
    const d = this.defs.get(id)
    if (!d) throw new AppError('NOT_FOUND', `No deployment with id ${id}.`, { fix: 'List deployments with GET /api/v1/deployments.' })
    return d
  }

  async put(def: DeploymentDefinition): Promise<void> {
    this.defs.set(def.id, def)
    await this.store.saveDefinitions([...this.defs.values()])
  }

  async remove(id: string): Promise<void> {
    this.defs.delete(id)
    delete this.timings[id]
    delete this.stopped[id]
    await this.store.saveDefinitions([...this.defs.values()])
    await this.store.saveTimings(this.timings)
    await this.store.saveStopped(this.stopped)
  }

  timingsOf(id: string): PhaseTimings | undefined {
    return this.timings[id]
  }

  saveTimings(id: string, t: PhaseTimings): void {
    this.timings[id] = t
    void this.store.saveTimings(this.timings)
  }

  /** The app stopped this container of the deployment (its exit code, 137 after the grace period, is no failure). */
  markStopped(id: string, containerId: string): Promise<void> {
    this.stopped[id] = containerId
    return this.store.saveStopped(this.stopped)
  }

  /** The container the app last stopped for this deployment, if any. */
  stoppedByApp(id: string): string | undefined {
    return this.stopped[id]
  }

  flush(): Promise<void> {
    return this.store.flush()
  }
}
