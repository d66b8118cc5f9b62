import { randomUUID } from 'node:crypto'
import { ORPCError } from '@orpc/server'
import type { Logger } from 'pino'
import type { z } from 'zod'
import type { Job, JobError, JobEvent, JobKind, JobProgress, JobState } from '../../../shared/contract/jobs'
import { AppError } from '../errors'
import { latestPer, Publisher, type Disposable } from '../events/publisher'
import { JobStore } from './job-store'
import { RateMeter } from './rate'

/** Thrown by a job to stop in the paused state with a problem the user can fix (e.g. disk full). */
export class JobPaused extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message)
  }
}

/** Why a job's signal was aborted. */
export class JobStop extends Error {
  constructor(readonly why: 'pause' | 'cancel' | 'shutdown') {
    super(`job ${why}`)
  }
}

export type JobResult = NonNullable<Job['result']>

export interface JobContext<P> {
  readonly id: string
  params: P
  signal: AbortSignal
  /** Report progress; rate and ETA are computed here. Byte counts are throttled before they reach clients; steps are not. */
  progress(p: Partial<Pick<JobProgress, 'bytesDone' | 'bytesTotal' | 'message' | 'items'>>): void
  /** Persist changed parameters (e.g. a resolved commit) so a restart continues with them. */
  saveParams(params: P): void
}

export interface JobKindDef<P> {
  kind: JobKind
  /** Validates parameters loaded from disk. */
  params: z.ZodType<P>
  /** Survives restarts: a running job is started again when the app starts. */
  persistent: boolean
  pausable: boolean
  run(ctx: JobContext<P>): Promise<JobResult | void>
  /** Cleanup after a cancel (e.g. remove partial files). */
  cancelled?(params: P): Promise<void>
}

interface Entry {
  job: Job
  params: unknown
  def: JobKindDef<unknown>
  controller?: AbortController
  running?: Promise<void>
  meter: RateMeter
  lastEmit: number
  timer?: NodeJS.Timeout
  lastSave: number
}

const TERMINAL: JobState[] = ['done', 'failed', 'cancelled']
const EMIT_INTERVAL_MS = 250
const SAVE_INTERVAL_MS = 2000
const KEEP_FINISHED = 100

export type JobListener = (job: Job) => void

/**
 * Runs jobs, keeps their state, persists the ones that must survive a restart, and publishes
 * updates (state changes at once, progress at most every 250 ms per job).
 */
export class JobService {
  private readonly kinds = new Map<JobKind, JobKindDef<unknown>>()
  private readonly entries = new Map<string, Entry>()
  /** Updates as JobEvents; a watcher's unread updates of one job collapse to its latest. */
  private readonly events: Publisher<JobEvent>
  private readonly store: JobStore
  private closing = false

  private readonly logger: Logger

  constructor(opts: { dir: string; logger: Logger }) {
    this.logger = opts.logger
    this.events = new Publisher({ onListenerError: (err) => opts.logger.error({ err }, 'job update listener failed') })
    this.store = new JobStore(opts.dir, opts.logger)
  }

  register<P>(def: JobKindDef<P>): void {
    this.kinds.set(def.kind, def as JobKindDef<unknown>)
  }

  /** Loads persisted jobs; restarts interrupted persistent ones. Call after every kind is registered. */
  async restore(): Promise<void> {
    const stored = (await this.store.loadAll()).sort((a, b) => a.job.createdAt.localeCompare(b.job.createdAt))
    const finished = stored.filter((s) => TERMINAL.includes(s.job.state))
    for (const s of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) await this.store.remove(s.job.id)
    for (const s of stored) {
      const def = this.kinds.get(s.job.kind)
      if (!def || this.entries.has(s.job.id)) continue
      const parsed = def.params.safeParse(s.params)
      const entry: Entry = {
        job: s.job,
        params: parsed.success ? parsed.data : s.params,
        def,
        meter: new RateMeter(),
        lastEmit: 0,
        lastSave: 0,
      }
      if (TERMINAL.includes(s.job.state)) {
        if (finished.indexOf(s) >= finished.length - KEEP_FINISHED) this.entries.set(s.job.id, entry)
        continue
      }
      this.entries.set(s.job.id, entry)
      if (!parsed.success || !def.persistent) {
        this.finish(entry, 'failed', { message: 'The app stopped while this job ran.', fix: 'Start it again.' })
      } else if (s.job.state === 'running' || s.job.state === 'queued') {
        this.logger.info({ job: s.job.id, kind: s.job.kind }, 'resuming job after restart')
        this.launch(entry)
      } else {
        this.emit(entry, true)
      }
    }
  }

  start<P>(kind: JobKind, opts: { title: string; target: string; params: P }): Job {
    if (this.closing) throw new AppError('UNAVAILABLE', 'The app is shutting down.', { fix: 'Start the job again after the app restarts.' })
    const def = this.kinds.get(kind)
    if (!def) throw new Error(`unknown job kind ${kind}`)
    const job: Job = {
      id: randomUUID(),
      kind,
      title: opts.title,
      target: opts.target,
      state: 'queued',
      progress: { bytesDone: 0, bytesTotal: 0, rate: 0, etaSeconds: null },
      canPause: def.pausable,
      createdAt: new Date().toISOString(),
    }
    const entry: Entry = { job, params: opts.params, def, meter: new RateMeter(), lastEmit: 0, lastSave: 0 }
    this.entries.set(job.id, entry)
    this.launch(entry)
    return { ...job }
  }

  list(): Job[] {
    return [...this.entries.values()].map((e) => ({ ...e.job })).sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  }

  get(id: string): Job {
    return { ...this.entry(id).job }
  }

  /** Active (not finished) jobs acting on `target`. */
  active(target: string): Job[] {
    return this.list().filter((j) => j.target === target && !TERMINAL.includes(j.state))
  }

  async cancel(id: string): Promise<Job> {
    const e = this.entry(id)
    if (TERMINAL.includes(e.job.state)) throw new AppError('CONFLICT', `The job is already ${e.job.state}.`, { fix: 'Nothing to cancel.' })
    if (e.controller && e.running) {
      e.controller.abort(new JobStop('cancel'))
      await e.running
    } else {
      await e.def.cancelled?.(e.params)
      this.finish(e, 'cancelled')
    }
    return this.get(id)
  }

  async pause(id: string): Promise<Job> {
    const e = this.entry(id)
    if (!e.def.pausable) throw new AppError('BAD_REQUEST', `A ${e.job.kind} job cannot be paused.`, { fix: 'Cancel it instead.' })
    if (e.job.state !== 'running' && e.job.state !== 'queued')
      throw new AppError('CONFLICT', `The job is ${e.job.state}, not running.`, { fix: 'Only a running download can be paused.' })
    e.controller?.abort(new JobStop('pause'))
    await e.running
    return this.get(id)
  }

  resume(id: string): Job {
    const e = this.entry(id)
    if (e.job.state !== 'paused')
      throw new AppError('CONFLICT', `The job is ${e.job.state}, not paused.`, { fix: 'Only a paused job can be resumed.' })
    this.launch(e)
    return this.get(id)
  }

  onUpdate(listener: JobListener): Disposable {
    return this.events.subscribe((e) => e.type === 'update' && listener(e.job))
  }

  /** Snapshot, then every update (a job's unread updates collapse to its latest), until `signal` aborts. */
  watch(signal?: AbortSignal): AsyncGenerator<JobEvent> {
    const snapshot = (): JobEvent[] => [{ type: 'snapshot', jobs: this.list() }]
    return this.events.stream(signal, { initial: snapshot, enqueue: latestPer((e) => (e.type === 'update' ? e.job.id : undefined)) })
  }

  /** Stops running jobs without changing their persisted state, so persistent ones resume next start. */
  async dispose(): Promise<void> {
    this.closing = true
    const running = [...this.entries.values()].filter((e) => e.running)
    for (const e of running) e.controller?.abort(new JobStop('shutdown'))
    await Promise.all(running.map((e) => e.running))
    for (const e of this.entries.values()) clearTimeout(e.timer)
    await this.store.flush()
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id)
    if (!e) throw new AppError('NOT_FOUND', `No job with id ${id}.`, { fix: 'List jobs with GET /api/v1/jobs.' })
    return e
  }

  private launch(entry: Entry): void {
    const controller = new AbortController()
    entry.controller = controller
    entry.meter.reset()
    Object.assign(entry.job, { state: 'queued', error: undefined, endedAt: undefined })
    this.emit(entry, true)
    const ctx: JobContext<unknown> = {
      id: entry.job.id,
      params: entry.params,
      signal: controller.signal,
      progress: (p) => this.progress(entry, p),
      saveParams: (params) => {
        entry.params = params
        ctx.params = params
        this.persist(entry, true)
      },
    }
    entry.running = (async () => {
      await Promise.resolve()
      if (controller.signal.aborted) return this.stopped(entry, controller.signal.reason)
      Object.assign(entry.job, { state: 'running', startedAt: entry.job.startedAt ?? new Date().toISOString() })
      this.emit(entry, true)
      try {
        const result = await entry.def.run(ctx)
        if (controller.signal.aborted) return this.stopped(entry, controller.signal.reason)
        if (result) entry.job.result = result
        entry.job.progress = { ...entry.job.progress, rate: 0, etaSeconds: 0 }
        this.finish(entry, 'done')
      } catch (err) {
        if (controller.signal.aborted && controller.signal.reason instanceof JobStop) return this.stopped(entry, controller.signal.reason)
        if (err instanceof JobPaused) {
          entry.job.progress = { ...entry.job.progress, rate: 0, etaSeconds: null }
          return this.finish(entry, 'paused', { message: err.message, fix: err.fix })
        }
        this.logger.warn({ err, job: entry.job.id }, 'job failed')
        this.finish(entry, 'failed', toJobError(err))
      }
    })().finally(() => {
      entry.running = undefined
      entry.controller = undefined
    })
  }

  private async stopped(entry: Entry, reason: unknown): Promise<void> {
    const why = reason instanceof JobStop ? reason.why : 'cancel'
    entry.job.progress = { ...entry.job.progress, rate: 0, etaSeconds: null }
    if (why === 'shutdown') return this.persist(entry, true)
    if (why === 'pause') return this.finish(entry, 'paused')
    try {
      await entry.def.cancelled?.(entry.params)
    } catch (err) {
      this.logger.warn({ err, job: entry.job.id }, 'cleanup after cancel failed')
    }
    this.finish(entry, 'cancelled')
  }

  private finish(entry: Entry, state: JobState, error?: JobError): void {
    entry.job.state = state
    entry.job.error = error
    if (TERMINAL.includes(state)) entry.job.endedAt = new Date().toISOString()
    this.emit(entry, true)
  }

  private progress(entry: Entry, p: Partial<JobProgress>): void {
    // A new step (a message without byte counts) reaches clients at once: throttling may merge counters, never steps.
    const step = p.message !== undefined && p.message !== entry.job.progress.message && p.bytesDone === undefined
    const next = { ...entry.job.progress, ...p }
    entry.meter.add(next.bytesDone)
    next.rate = Math.round(entry.meter.rate())
    next.etaSeconds = entry.meter.eta(next.bytesDone, next.bytesTotal)
    entry.job.progress = next
    this.emit(entry, step)
  }

  private emit(entry: Entry, immediate: boolean): void {
    const now = Date.now()
    this.persist(entry, immediate)
    if (!immediate && now - entry.lastEmit < EMIT_INTERVAL_MS) {
      entry.timer ??= setTimeout(
        () => {
          entry.timer = undefined
          this.emit(entry, true)
        },
        EMIT_INTERVAL_MS - (now - entry.lastEmit),
      )
      return
    }
    clearTimeout(entry.timer)
    entry.timer = undefined
    entry.lastEmit = now
    this.events.publish({ type: 'update', job: { ...entry.job } })
  }

  private persist(entry: Entry, force: boolean): void {
    if (!entry.def.persistent && !TERMINAL.includes(entry.job.state) && !force) return
    const now = Date.now()
    if (!force && now - entry.lastSave < SAVE_INTERVAL_MS) return
    entry.lastSave = now
    void this.store.save({ job: { ...entry.job }, params: entry.params })
  }
}

export function toJobError(err: unknown): JobError {
  if (err instanceof ORPCError) {
    const data = err.data as { fix?: unknown } | undefined
    return { message: err.message, fix: typeof data?.fix === 'string' ? data.fix : 'Try again; the log has details.' }
  }
  return { message: err instanceof Error ? err.message : String(err), fix: 'Try again; the log has details.' }
}
