/**
 * The deployment state machine when Docker changes underneath it (scripted Docker, see the fixture): dockerd
 * restarting (event stream ends, reconnects, state re-read), SIGKILL (137) after the stop grace period, and
 * adoption at app start from the containers' labels (running, loading, exited, orphaned).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { asJob, IMAGE, MODEL, ScriptedDocker, startMonitor, type Harness } from './deployment-monitor.fixture'

const WEIGHTS = '(EngineCore_DP0 pid=1) INFO 11-24 11:56:13 [gpu_model_runner.py:2602] Starting to load model Qwen/Qwen3-0.6B...'

let h: Harness | undefined
afterEach(() => {
  h?.monitor.dispose()
  h = undefined
})

/** A deployment 'a' whose container c1 (port 1) is running, healthy and ready, its log followed. */
async function readyDeployment(): Promise<Harness> {
  const x = startMonitor(['a'])
  const rt = x.monitor.runtime('a')
  await asJob(rt, () => {
    rt.setState('creating')
    x.docker.create('c1', 'a', 1)
    rt.patch({ containerId: 'c1', hostPort: 1 })
    rt.setState('starting')
    x.docker.start('c1')
    x.monitor.follow(rt, 'c1')
  })
  x.docker.log('c1', 'first line')
  x.docker.healthy('c1')
  await x.until('ready', () => rt.state === 'ready' && rt.lines.length === 1)
  return x
}

describe('dockerd restarting underneath', () => {
  it('the event stream ends and reconnects; a container that survived stays ready, its log followed again', async () => {
    h = await readyDeployment()
    const rt = h.monitor.runtime('a')
    expect(h.docker.follows).toBe(1)
    h.docker.daemonGone()
    await h.until('a second event stream', () => h!.docker.eventStreams.length === 2)
    await h.until('the log followed again', () => h!.docker.follows === 2 && rt.followedContainer === 'c1')
    h.docker.log('c1', 'after the restart')
    await h.until('the new line', () => rt.lines.some((l) => l.text === 'after the restart'))
    expect(rt.state).toBe('ready')
    // Following again replays the log from the container's start: no line is kept twice.
    expect(rt.lines.map((l) => l.text)).toEqual(['first line', 'after the restart'])
    // Events on the new stream count.
    h.docker.exit('c1', 1)
    await h.until('failed', () => rt.state === 'failed')
  })

  it('a container that died while the daemon was away (no die event) is read on reconnect: failed, exit 137', async () => {
    h = await readyDeployment()
    const rt = h.monitor.runtime('a')
    h.docker.daemonGone()
    h.docker.exit('c1', 137, { emit: false })
    await h.until('failed', () => rt.state === 'failed')
    expect(h.docker.eventStreams.length).toBe(2)
    expect(rt.status.diagnosis).toMatchObject({ exitCode: 137 })
    expect(rt.status.diagnosis?.reason).toMatch(/137|kill/i)
  })
})

describe('a container killed with 137 after the stop grace period', () => {
  it('stop job: the die (137) that arrives after the job set stopped leaves it stopped, no diagnosis', async () => {
    h = await readyDeployment()
    const rt = h.monitor.runtime('a')
    await asJob(rt, () => {
      rt.expectExit()
      rt.setState('stopping')
      h!.docker.exit('c1', 137, { emit: false }) // docker stop: SIGTERM, grace period, SIGKILL
      rt.clearExpectedExit()
      rt.setState('stopped')
    })
    h.docker.emit('die', 'c1', { exitCode: '137' })
    await h.monitor.exited(rt, 'c1', 137) // what the die event runs, awaited
    expect(rt.state).toBe('stopped')
    expect(rt.status.diagnosis).toBeNull()
    expect(h.history.get('a')?.slice(-3)).toEqual(['ready', 'stopping', 'stopped'])
  })

  it('a cancelled deploy (stop outside a job): 137 reads as stopped, not failed', async () => {
    h = await readyDeployment()
    const rt = h.monitor.runtime('a')
    rt.expectExit()
    rt.setState('stopping')
    h.docker.exit('c1', 137)
    await h.until('stopped', () => rt.state === 'stopped')
    expect(rt.status.diagnosis).toBeNull()
    expect(h.history.get('a')).not.toContain('failed')
  })

  // Docker does not record who stopped a container: the stop job persists the container id (stopped.json), and at
  // adoption an exited container the app stopped reads as stopped whatever its exit code.
  it('after an app restart, a container the app stopped with 137 still reads as stopped; one it did not stop, failed', async () => {
    for (const [byApp, state] of [
      [true, 'stopped'],
      [false, 'failed'],
    ] as const) {
      const docker = new ScriptedDocker()
      docker.create('c1', 'a', 1, { emit: false })
      docker.start('c1', { emit: false })
      docker.exit('c1', 137, { emit: false })
      h = startMonitor(['a'], { docker, stoppedByApp: byApp ? { a: 'c1' } : {} })
      await h.monitor.reconcile()
      expect(h.monitor.runtime('a').state).toBe(state)
      h.monitor.dispose()
    }
  })
})

describe('adoption at app start (containers found by their labels)', () => {
  it('a running, healthy container → ready at once; its log replayed from the start; no timings saved', async () => {
    const docker = new ScriptedDocker()
    docker.create('c1', 'a', 4321, { emit: false })
    docker.start('c1', { emit: false })
    docker.log('c1', WEIGHTS)
    docker.boxes.get('c1')!.health = 'healthy'
    h = startMonitor(['a'], { docker })
    const rt = h.monitor.runtime('a')
    await h.until('ready with its log', () => rt.state === 'ready' && rt.lines.length === 1)
    expect(h.history.get('a')).toEqual(['stopped', 'ready'])
    expect(rt.status).toMatchObject({ containerId: 'c1', hostPort: 4321, endpoint: 'http://127.0.0.1:4321/v1', diagnosis: null })
    expect(h.saved.get('a')).toBeUndefined()
  })

  it('a container still loading → starting, the replayed log moves the phase; ready later, not an ETA basis', async () => {
    const docker = new ScriptedDocker()
    docker.create('c1', 'a', 1, { emit: false })
    docker.start('c1', { emit: false })
    docker.log('c1', WEIGHTS)
    h = startMonitor(['a'], { docker })
    const rt = h.monitor.runtime('a')
    await h.until('weights', () => rt.status.phase === 'weights')
    expect(h.history.get('a')).toEqual(['stopped', 'starting', 'loading:weights'])
    docker.healthy('c1')
    await h.until('ready', () => rt.state === 'ready')
    expect(h.saved.get('a')).toBeUndefined()
  })

  it('a container that exited non-zero while the app was away → failed with the diagnosis from its log', async () => {
    const docker = new ScriptedDocker()
    docker.create('c1', 'a', 1, { emit: false })
    docker.start('c1', { emit: false })
    docker.log('c1', 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.', 'stderr')
    docker.exit('c1', 1, { emit: false })
    h = startMonitor(['a'], { docker })
    const rt = h.monitor.runtime('a')
    await h.until('failed', () => rt.state === 'failed')
    expect(rt.status.diagnosis).toMatchObject({ kind: 'cuda-oom', exitCode: 1 })
  })

  it('a container that exited 0 stays stopped; one whose definition is gone is listed as an orphan', async () => {
    const docker = new ScriptedDocker()
    docker.create('c1', 'a', 1, { emit: false })
    docker.start('c1', { emit: false })
    docker.exit('c1', 0, { emit: false })
    docker.create('c9', 'deleted-one', 2, { emit: false })
    h = startMonitor(['a'], { docker })
    await h.until('the orphan reported', () => h!.orphanReports.length > 0)
    await h.monitor.reconcile()
    expect(h.monitor.runtime('a').state).toBe('stopped')
    expect(h.monitor.runtime('a').status.containerId).toBe('c1')
    expect(h.orphanReports.at(-1)).toEqual([
      { containerId: 'c9', name: 'inferadmin-deleted-one', deploymentId: 'deleted-one', model: MODEL, image: IMAGE, state: 'created' },
    ])
    expect(h.monitor.isOrphan('c9')).toBe(true)
    expect(h.monitor.isOrphan('c1')).toBe(false)
  })
})
