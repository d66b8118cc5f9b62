import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deployment, DeploymentEvent, DeploymentState } from '../../../shared/contract/deployments'
import type { NewRelease } from '../../../shared/contract/engine'
import type { Job } from '../../../shared/contract/jobs'
import type { AppNotification } from '../../../shared/contract/notifications'
import type { WebuiStatus } from '../../../shared/contract/webui'
import type { Settings } from '../../../shared/settings'
import { Publisher } from '../events/publisher'
import { silentLogger } from '../logging/logger'
import { defaultSettings } from '../settings/defaults'
import { NOTIFY_DEFAULTS } from './notify-rules'
import { NotifyService, togglesOf, type NotifyClock } from './notify-service'

/** Timers that run only when the test moves time on. */
class FakeClock implements NotifyClock {
  t = Date.parse('2026-12-05T08:00:00Z')
  private timers: { at: number; fn: () => void; live: boolean }[] = []
  now = (): number => this.t
  setTimer(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.t + ms, fn, live: true }
    this.timers.push(timer)
    return { cancel: () => void (timer.live = false) }
  }
  get pending(): number {
    return this.timers.filter((x) => x.live).length
  }
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!next) break
      next.live = false
      this.t = next.at
      next.fn()
    }
    this.t = end
  }
}

function job(id: string, state: Job['state'], target = `org/${id}`): Job {
  return {
    id,
    kind: 'model.pull',
    title: `Download ${target}`,
    target,
    state,
    progress: { bytesDone: 0, bytesTotal: 1, rate: 0, etaSeconds: null },
    canPause: true,
    createdAt: '2026-12-05T07:00:00Z',
    ...(state === 'failed' ? { error: { message: 'The repository does not exist.', fix: 'Check its name.' } } : {}),
  }
}

function dep(id: string, state: DeploymentState): Deployment {
  return {
    definition: { id, name: `model-${id}` } as Deployment['definition'],
    status: { state, diagnosis: null } as unknown as Deployment['status'],
  }
}

function webui(state: WebuiStatus['state']): WebuiStatus {
  return { state, url: state === 'healthy' ? 'http://127.0.0.1:3000' : null } as WebuiStatus
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r))

let clock: FakeClock
let settings: Settings
let jobs: Publisher<Job>
let deployments: Publisher<DeploymentEvent>
let webuiStatus: Publisher<WebuiStatus>
let releases: Publisher<NewRelease>
let service: NotifyService | undefined
let seen: AppNotification[]

function start(o: { jobs?: Job[]; deployments?: Deployment[]; webui?: WebuiStatus; maxPerMinute?: number } = {}): NotifyService {
  service = new NotifyService({
    sources: {
      jobs: { list: () => o.jobs ?? [], onUpdate: (l) => jobs.subscribe(l) },
      deployments: { list: () => o.deployments ?? [], onEvent: (l) => deployments.subscribe(l) },
      webui: { watch: (signal) => webuiStatus.stream(signal, { initial: () => [o.webui ?? webui('absent')] }) },
      engine: { onNewRelease: (l) => releases.subscribe(l) },
    },
    settings: { get: () => settings },
    logger: silentLogger(),
    clock,
    coalesceMs: 3000,
    maxPerMinute: o.maxPerMinute ?? 4,
  })
  service.onNotification((n) => seen.push(n))
  return service
}

beforeEach(() => {
  clock = new FakeClock()
  settings = defaultSettings({ configDir: '/cfg', dataDir: '/data' }, { HOME: '/home/u' })
  jobs = new Publisher()
  deployments = new Publisher()
  webuiStatus = new Publisher()
  releases = new Publisher()
  seen = []
})

afterEach(() => {
  service?.dispose()
  service = undefined
})

describe('NotifyService', () => {
  it('the Settings defaults are the notification defaults (unloads off, the rest on)', () => {
    expect(togglesOf(settings)).toEqual(NOTIFY_DEFAULTS)
  })

  it('a model becoming ready and two downloads finishing close together: two notifications after the coalescing wait', async () => {
    start({ deployments: [dep('d1', 'loading')] })
    deployments.publish({ type: 'update', deployment: dep('d1', 'ready') })
    jobs.publish(job('a', 'running'))
    jobs.publish(job('a', 'done'))
    jobs.publish(job('b', 'done'))
    clock.advance(2999)
    expect(seen).toEqual([])
    clock.advance(1)
    expect(seen).toMatchObject([
      { kind: 'model-ready', title: 'model-d1 is ready', route: '/deployments', count: 1, at: '2026-12-05T08:00:03.000Z' },
      { kind: 'download-finished', title: '2 downloads finished', body: 'org/a, org/b', route: '/models', count: 2 },
    ])
    expect(new Set(seen.map((n) => n.id)).size).toBe(2)
    expect(clock.pending).toBe(0)
  })

  it('a failed download says why, and comes first as the critical one', () => {
    start()
    jobs.publish(job('x', 'done'))
    jobs.publish(job('gated', 'failed'))
    clock.advance(3000)
    expect(seen.map((n) => n.title)).toEqual(['Download failed: org/gated', 'Download finished'])
    expect(seen[0]).toMatchObject({ body: 'The repository does not exist. Check its name.', urgency: 'critical' })
  })

  it('what was already true at start is not announced: a ready model, a finished job, a healthy Open WebUI', async () => {
    start({ jobs: [job('old', 'done')], deployments: [dep('d1', 'ready')], webui: webui('healthy') })
    await flush()
    jobs.publish(job('old', 'done'))
    deployments.publish({ type: 'update', deployment: dep('d1', 'ready') })
    deployments.publish({ type: 'update', deployment: dep('new', 'ready') })
    clock.advance(60_000)
    expect(seen).toEqual([])
  })

  it('Open WebUI turning healthy, and a new vLLM release', async () => {
    start()
    await flush()
    webuiStatus.publish(webui('starting'))
    webuiStatus.publish(webui('healthy'))
    await flush()
    releases.publish({ repository: 'vllm/vllm-openai', tag: 'v0.22.0', digest: null, previous: 'v0.21.0', at: '2026-12-05T03:00:00Z' })
    clock.advance(3000)
    expect(seen).toMatchObject([
      { kind: 'webui-ready', title: 'Open WebUI is ready', body: 'http://127.0.0.1:3000', route: '/webui' },
      { kind: 'vllm-release', title: 'vLLM v0.22.0 is out', route: '/system' },
    ])
  })

  it('follows the toggles in Settings: a kind turned off is dropped, unloads only once turned on', () => {
    start({ deployments: [dep('d1', 'loading'), dep('d2', 'ready')] })
    settings = { ...settings, notifyModelStart: false }
    deployments.publish({ type: 'update', deployment: dep('d1', 'ready') })
    deployments.publish({ type: 'update', deployment: dep('d2', 'stopped') })
    clock.advance(3000)
    expect(seen).toEqual([])
    settings = { ...settings, notifyModelUnload: true }
    deployments.publish({ type: 'update', deployment: dep('d1', 'stopped') })
    clock.advance(3000)
    expect(seen).toMatchObject([{ kind: 'model-unloaded', title: 'model-d1 unloaded' }])
  })

  it('over the rate limit the rest waits for a free slot (one timer), then goes out', () => {
    start({ maxPerMinute: 1, deployments: [dep('d1', 'loading')] })
    deployments.publish({ type: 'update', deployment: dep('d1', 'ready') })
    jobs.publish(job('a', 'done'))
    clock.advance(3000)
    expect(seen.map((n) => n.kind)).toEqual(['model-ready'])
    expect(clock.pending).toBe(1)
    clock.advance(59_999)
    expect(seen).toHaveLength(1)
    clock.advance(1)
    expect(seen.map((n) => n.kind)).toEqual(['model-ready', 'download-finished'])
  })

  it('streams notifications to watchers; after dispose nothing is sent and no timer is left', async () => {
    const s = start()
    const ac = new AbortController()
    const stream = s.watch(ac.signal)
    const first = stream.next()
    jobs.publish(job('a', 'done'))
    clock.advance(3000)
    expect((await first).value).toMatchObject({ kind: 'download-finished', title: 'Download finished' })
    jobs.publish(job('b', 'done'))
    s.dispose()
    clock.advance(60_000)
    expect(seen).toHaveLength(1)
    expect(clock.pending).toBe(0)
    ac.abort()
  })
})
