import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import type { Job, JobState } from '../../../shared/contract/jobs'
import { AppError } from '../errors'
import { silentLogger } from '../logging/logger'
import { JobPaused, JobService, type JobContext } from './job-service'

const Params = z.object({ n: z.number() })
type P = z.infer<typeof Params>

function service(dir = mkdtempSync(join(tmpdir(), 'jobs-')), run: (ctx: JobContext<P>) => Promise<void>) {
  const jobs = new JobService({ dir, logger: silentLogger() })
  const cleaned: P[] = []
  jobs.register<P>({
    kind: 'model.pull',
    params: Params,
    persistent: true,
    pausable: true,
    run,
    cancelled: async (p) => void cleaned.push(p),
  })
  return { jobs, dir, cleaned }
}

function waitState(jobs: JobService, id: string, states: JobState[]): Promise<Job> {
  return new Promise((resolve) => {
    const sub = jobs.onUpdate((j) => {
      if (j.id === id && states.includes(j.state)) {
        sub.dispose()
        resolve(j)
      }
    })
  })
}

/** A job that reports progress until aborted. */
const busy = async (ctx: JobContext<P>): Promise<void> => {
  for (let i = 0; ; i++) {
    ctx.progress({ bytesDone: i * 1000, bytesTotal: 1e9 })
    await sleep(5, undefined, { signal: ctx.signal })
  }
}

describe('JobService', () => {
  it('publishes progress at most 4 times a second per job, state changes at once', async () => {
    // Time is the subject here: a fake clock drives it (a real 1.1 s sleep counted emits by wall time).
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    try {
      let report: ((n: number) => void) | undefined
      const { jobs } = service(undefined, (ctx) => {
        report = (n) => ctx.progress({ bytesDone: n, bytesTotal: 1e9 })
        return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
      })
      const seen: Job[] = []
      jobs.onUpdate((j) => seen.push(j))
      const job = jobs.start('model.pull', { title: 't', target: 'a/b', params: { n: 1 } })
      await vi.advanceTimersByTimeAsync(0)
      expect(seen.map((j) => j.state)).toContain('running') // the state change, before any progress
      const atStart = seen.length
      // progress every 5 ms for one second: 200 reports
      for (let i = 1; i <= 200; i++) {
        report?.(i * 10_000)
        await vi.advanceTimersByTimeAsync(5)
      }
      const progressEvents = seen.slice(atStart).filter((j) => j.state === 'running')
      expect(progressEvents.length).toBeGreaterThanOrEqual(3)
      expect(progressEvents.length).toBeLessThanOrEqual(4) // ≤ 4 per second
      expect(progressEvents.at(-1)?.progress.bytesDone).toBeGreaterThan(1_500_000)
      expect(jobs.get(job.id).progress.rate).toBeGreaterThan(0)
      const cancelling = jobs.cancel(job.id)
      await vi.advanceTimersByTimeAsync(0)
      await cancelling
      expect(seen.at(-1)?.state).toBe('cancelled') // at once, not after the 250 ms window
    } finally {
      vi.useRealTimers()
    }
  })

  it('every step message reaches clients, however quickly the next one follows (only byte counts are merged)', async () => {
    let step: ((m: string) => void) | undefined
    const { jobs } = service(undefined, (ctx) => {
      step = (message) => ctx.progress({ message })
      return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
    })
    const messages: string[] = []
    jobs.onUpdate((j) => j.progress.message && messages.at(-1) !== j.progress.message && messages.push(j.progress.message))
    const job = jobs.start('model.pull', { title: 't', target: 'a/b', params: { n: 1 } })
    await waitState(jobs, job.id, ['running'])
    for (const m of ['Starting', 'Memory failure: retrying once', 'Starting again', 'Loading']) step?.(m)
    expect(messages).toEqual(['Starting', 'Memory failure: retrying once', 'Starting again', 'Loading'])
    await jobs.cancel(job.id)
  })

  it('pause keeps the job, resume runs it again; cancel calls the cleanup', async () => {
    let runs = 0
    const { jobs, cleaned } = service(undefined, async (ctx) => {
      runs++
      await busy(ctx)
    })
    const job = jobs.start('model.pull', { title: 't', target: 'a/b', params: { n: 2 } })
    await waitState(jobs, job.id, ['running'])
    expect((await jobs.pause(job.id)).state).toBe('paused')
    expect(cleaned).toEqual([])
    jobs.resume(job.id)
    await waitState(jobs, job.id, ['running'])
    expect(runs).toBe(2)
    expect((await jobs.cancel(job.id)).state).toBe('cancelled')
    expect(cleaned).toEqual([{ n: 2 }])
    await expect(jobs.cancel(job.id)).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(() => jobs.get('nope')).toThrow(AppError)
  })

  it('a JobPaused error pauses with the message and fix; other errors fail with the AppError fix', async () => {
    const { jobs } = service(undefined, async (ctx) => {
      if (ctx.params.n === 1) throw new JobPaused('Disk full', 'Free 1 GiB')
      throw new AppError('FORBIDDEN', 'gated', { fix: 'request access' })
    })
    const a = jobs.start('model.pull', { title: 't', target: 'a/b', params: { n: 1 } })
    expect((await waitState(jobs, a.id, ['paused'])).error).toEqual({ message: 'Disk full', fix: 'Free 1 GiB' })
    const b = jobs.start('model.pull', { title: 't', target: 'a/c', params: { n: 2 } })
    expect((await waitState(jobs, b.id, ['failed'])).error).toEqual({ message: 'gated', fix: 'request access' })
  })

  it('persists jobs atomically; after a restart running persistent jobs run again, paused stay paused', async () => {
    const first = service(undefined, busy)
    const running = first.jobs.start('model.pull', { title: 'run', target: 'a/b', params: { n: 7 } })
    const paused = first.jobs.start('model.pull', { title: 'pause', target: 'a/c', params: { n: 8 } })
    await waitState(first.jobs, paused.id, ['running'])
    await first.jobs.pause(paused.id)
    await first.jobs.dispose() // like a shutdown: state stays "running" on disk
    const files = readdirSync(first.dir)
    expect(files.sort()).toEqual([`${running.id}.json`, `${paused.id}.json`].sort())
    expect(JSON.parse(readFileSync(join(first.dir, `${running.id}.json`), 'utf8'))).toMatchObject({
      job: { state: 'running' },
      params: { n: 7 },
    })

    const seenParams: number[] = []
    const second = service(first.dir, async (ctx) => {
      seenParams.push(ctx.params.n)
      ctx.progress({ bytesDone: 1, bytesTotal: 1 })
    })
    const done = waitState(second.jobs, running.id, ['done'])
    await second.jobs.restore()
    expect((await done).state).toBe('done')
    expect(seenParams).toEqual([7])
    expect(second.jobs.get(paused.id).state).toBe('paused')
    await second.jobs.dispose()
  })

  it("watch: the snapshot first, then updates in order, a job's unread ones collapsed to its latest; ends on abort", async () => {
    const { jobs } = service(undefined, (ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())))
    const a = jobs.start('model.pull', { title: 'a', target: 'a/a', params: { n: 1 } })
    await waitState(jobs, a.id, ['running'])
    const ac = new AbortController()
    const events = jobs.watch(ac.signal)
    expect((await events.next()).value).toEqual({ type: 'snapshot', jobs: [expect.objectContaining({ id: a.id, state: 'running' })] })
    // Unread: b queued, b running, a paused → b (running) where b queued was, then a.
    const b = jobs.start('model.pull', { title: 'b', target: 'a/b', params: { n: 2 } })
    const bRunning = waitState(jobs, b.id, ['running'])
    await jobs.pause(a.id)
    await bRunning
    expect((await events.next()).value).toMatchObject({ type: 'update', job: { id: b.id, state: 'running' } })
    expect((await events.next()).value).toMatchObject({ type: 'update', job: { id: a.id, state: 'paused' } })
    const pending = events.next()
    ac.abort()
    expect((await pending).done).toBe(true)
    await jobs.dispose()
  })
})
