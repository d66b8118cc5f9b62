import type { Diagnosis, DeploymentState, DeploymentStatus, LoadPhase, LogLine } from '../../../shared/contract/deployments'
import { LOAD_PHASES } from '../../../shared/contract/deployments'
import type { LogFollower } from './log-follower'
import type { PhaseTimings } from './store'

const KEEP_LINES = 2000

/**
 * The live state of one deployment: the status state machine (creating → starting → loading(phase) →
 * ready → stopping → stopped | failed), phase timings of the current load, the ETA from the previous one,
 * and the last log lines (kept after the container is gone).
 */
export class Runtime {
  status: DeploymentStatus
  follower: LogFollower | undefined
  followedContainer: string | null = null
  probing = false
  /** The load was already under way when we found it (app restart): its timings are not an ETA basis. */
  adoptedLoad = false
  private kept: LogLine[] = []
  /** A stop was asked for: the next exit is 'stopped', not 'failed'. */
  private stopExpected = false
  /** Job steps changing the container (create/start/stop/remove) under way: reconcile leaves the state alone. */
  private operations = 0
  private loadStart = 0
  private phaseStart = 0
  private readonly lineListeners = new Set<(l: LogLine) => void>()

  constructor(
    readonly id: string,
    private readonly changed: (r: Runtime) => void,
    public previous: PhaseTimings | undefined,
  ) {
    this.status = {
      state: 'stopped',
      phase: null,
      progress: null,
      etaSeconds: null,
      containerId: null,
      hostPort: null,
      endpoint: null,
      listen: null,
      networkUrls: [],
      since: new Date().toISOString(),
      startedAt: null,
      readyAt: null,
      timings: [],
      diagnosis: null,
      gpuWarning: null,
      commit: null,
      vramMiB: null,
    }
  }

  get state(): DeploymentState {
    return this.status.state
  }

  /** The last log lines, kept after the container is gone. */
  get lines(): readonly LogLine[] {
    return this.kept
  }

  /** Whether a job step is changing the container now (reconcile and Docker events leave the state alone). */
  get busy(): boolean {
    return this.operations > 0
  }

  /** Runs a job step that changes the container; while it runs the monitor does not second-guess the state. */
  async operate<T>(step: () => Promise<T>): Promise<T> {
    this.operations++
    try {
      return await step()
    } finally {
      this.operations--
    }
  }

  /** A stop was asked for: the next exit of the container is 'stopped', not a failure. */
  expectExit(): void {
    this.stopExpected = true
  }

  /** A new container is being started: its exit is a failure again unless a stop is asked for. */
  clearExpectedExit(): void {
    this.stopExpected = false
  }

  get exitExpected(): boolean {
    return this.stopExpected
  }

  /** For the monitor on an exit: whether it was asked for (and forget that it was). */
  takeExpectedExit(): boolean {
    const was = this.stopExpected
    this.stopExpected = false
    return was
  }

  /** Any change of the status goes through here so listeners see it. */
  patch(p: Partial<DeploymentStatus>): void {
    Object.assign(this.status, p)
    this.changed(this)
  }

  setState(state: DeploymentState, extra: Partial<DeploymentStatus> = {}): void {
    if (state === this.status.state && !Object.keys(extra).length) return
    const now = Date.now()
    const p: Partial<DeploymentStatus> = { ...extra }
    if (state !== this.status.state) p.since = new Date(now).toISOString()
    if (state === 'creating' || state === 'starting') {
      if (this.status.state !== 'starting' && this.status.state !== 'creating') {
        this.loadStart = now
        this.phaseStart = now
        Object.assign(p, {
          phase: null,
          timings: [],
          diagnosis: null,
          gpuWarning: null,
          readyAt: null,
          progress: this.previous ? 0 : null,
          etaSeconds: this.expectedTotal(),
        })
      }
      if (state === 'starting') p.startedAt = p.startedAt ?? new Date(now).toISOString()
    }
    if (state === 'ready') {
      this.closePhase(now)
      Object.assign(p, { phase: null, progress: 1, etaSeconds: 0, readyAt: new Date(now).toISOString() })
    }
    if (state === 'stopped' || state === 'failed') Object.assign(p, { phase: null, progress: null, etaSeconds: null, vramMiB: null })
    if (state === 'stopped') p.diagnosis = extra.diagnosis ?? null
    this.patch({ ...p, state })
  }

  /** Timings of the phase that just ended, appended. */
  private closePhase(now: number): void {
    const label: DeploymentStatus['timings'][number]['phase'] = this.status.phase ?? 'starting'
    const seconds = (now - this.phaseStart) / 1000
    const timings = [...this.status.timings.filter((t) => t.phase !== label), { phase: label, seconds }]
    this.status.timings = timings
    this.phaseStart = now
  }

  /** A log line announced `phase`: phases only move forward. */
  enterPhase(phase: LoadPhase): void {
    if (this.status.state !== 'starting' && this.status.state !== 'loading') return
    const cur = this.status.phase ? LOAD_PHASES.indexOf(this.status.phase) : -1
    const next = LOAD_PHASES.indexOf(phase)
    if (next <= cur) return
    const now = Date.now()
    this.closePhase(now)
    this.setState('loading', { phase, ...this.estimate(now) })
  }

  private expectedTotal(): number | null {
    return this.previous ? Math.round(this.previous.reduce((a, t) => a + t.seconds, 0)) : null
  }

  /** Progress and ETA from the previous load's timings. */
  estimate(now = Date.now()): Pick<DeploymentStatus, 'progress' | 'etaSeconds'> {
    const total = this.previous?.reduce((a, t) => a + t.seconds, 0)
    if (!total) {
      const i = this.status.phase ? LOAD_PHASES.indexOf(this.status.phase) + 1 : 0
      return { progress: i / (LOAD_PHASES.length + 1), etaSeconds: null }
    }
    const elapsed = (now - this.loadStart) / 1000
    return { progress: Math.min(0.99, elapsed / total), etaSeconds: Math.max(0, Math.round(total - elapsed)) }
  }

  fail(diagnosis: Diagnosis): void {
    this.setState('failed', { diagnosis })
  }

  /** Lines read back from Docker replace the kept ones when they are more complete; [] for a new container. */
  replaceLines(lines: LogLine[]): void {
    this.kept = lines.slice(-KEEP_LINES)
  }

  addLine(l: LogLine): void {
    this.kept.push(l)
    if (this.kept.length > KEEP_LINES) this.kept.splice(0, this.kept.length - KEEP_LINES)
    for (const fn of this.lineListeners) fn(l)
  }

  onLine(fn: (l: LogLine) => void): { dispose(): void } {
    this.lineListeners.add(fn)
    return { dispose: () => this.lineListeners.delete(fn) }
  }

  stopFollowing(): void {
    this.follower?.stop()
    this.follower = undefined
    this.followedContainer = null
  }
}
