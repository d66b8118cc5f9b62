/**
 * The deployment state machine (DeploymentMonitor + Runtime) driven by a scripted Docker: every transition of
 * a load, readiness by /health and by Docker health, failure with the diagnosis, the ETA from the previous
 * load, and a log line that arrives before the start event. Restarts, SIGKILL stops and adoption:
 * deployment-monitor-docker.test.ts.
 */
import type { Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { asJob, healthEndpoint, startMonitor, type Harness } from './deployment-monitor.fixture'

const LOAD = [
  '(EngineCore_DP0 pid=1) INFO 11-24 11:56:13 [gpu_model_runner.py:2602] Starting to load model Qwen/Qwen3-0.6B...',
  'INFO [gpu_worker.py:298] Available KV cache memory: 11.16 GiB',
  'INFO [gpu_model_runner.py:3480] Capturing CUDA graphs (mixed prefill-decode, PIECEWISE): 100%',
  'INFO [api_server.py:1912] Starting vLLM API server 0 on http://0.0.0.0:8000',
]
const READY = '(APIServer pid=1) INFO:     Application startup complete.'

let h: Harness | undefined
let server: Server | undefined
afterEach(() => {
  h?.monitor.dispose()
  server?.close()
  h = server = undefined
})

/** What the deploy job does: creating, the container created and started, its log followed from the start. */
async function deploy(x: Harness, id: string, cid: string, port: number): Promise<void> {
  const rt = x.monitor.runtime(id)
  await asJob(rt, () => {
    rt.setState('creating', { containerId: null, hostPort: null, endpoint: null })
    x.docker.create(cid, id, port)
    rt.patch({ containerId: cid, hostPort: port, endpoint: `http://127.0.0.1:${port}/v1` })
    rt.setState('starting')
    x.docker.start(cid)
    x.monitor.follow(rt, cid)
  })
}

describe('deployment state machine: a load', () => {
  it('creating → starting → each load phase → ready (by /health); timings saved for the next ETA', async () => {
    const health = await healthEndpoint(200)
    server = health.server
    h = startMonitor(['a'])
    await deploy(h, 'a', 'c1', health.port)
    for (const line of LOAD) h.docker.log('c1', line)
    await h.until('server-start phase', () => h!.monitor.runtime('a').status.phase === 'server-start')
    expect(h.monitor.runtime('a').state).toBe('loading')
    h.docker.log('c1', READY)
    await h.until('ready', () => h!.monitor.runtime('a').state === 'ready')

    expect(h.history.get('a')).toEqual([
      'stopped',
      'creating',
      'starting',
      'loading:weights',
      'loading:kv-cache',
      'loading:graph-capture',
      'loading:server-start',
      'ready',
    ])
    const st = h.monitor.runtime('a').status
    expect(st).toMatchObject({ containerId: 'c1', hostPort: health.port, progress: 1, etaSeconds: 0, diagnosis: null })
    expect(st.readyAt).not.toBeNull()
    expect(h.saved.get('a')?.map((t) => t.phase)).toEqual(['starting', 'weights', 'kv-cache', 'graph-capture', 'server-start'])
    expect(h.monitor.runtime('a').lines.map((l) => l.text)).toEqual([...LOAD, READY])
  })

  it('phases only move forward: a late line of an earlier phase does not go back', async () => {
    h = startMonitor(['a'])
    await deploy(h, 'a', 'c1', 1)
    h.docker.log('c1', LOAD[2]!)
    await h.until('graph-capture', () => h!.monitor.runtime('a').status.phase === 'graph-capture')
    h.docker.log('c1', LOAD[0]!)
    h.docker.log('c1', 'marker')
    await h.until('the marker line', () => h!.monitor.runtime('a').lines.some((l) => l.text === 'marker'))
    expect(h.monitor.runtime('a').status.phase).toBe('graph-capture')
  })

  it('Docker health turning healthy makes it ready without the /health probe', async () => {
    h = startMonitor(['a'])
    await deploy(h, 'a', 'c1', 1) // port 1: nothing answers /health there
    h.docker.log('c1', LOAD[0]!)
    await h.until('weights', () => h!.monitor.runtime('a').status.phase === 'weights')
    h.docker.healthy('c1')
    await h.until('ready', () => h!.monitor.runtime('a').state === 'ready')
    expect(h.history.get('a')?.at(-1)).toBe('ready')
  })

  it('a previous load gives the ETA: total at the start, counting down with the phases', async () => {
    const previous = [
      { phase: 'starting' as const, seconds: 10 },
      { phase: 'weights' as const, seconds: 60 },
      { phase: 'kv-cache' as const, seconds: 30 },
    ]
    h = startMonitor(['a'], { saved: new Map([['a', previous]]) })
    await deploy(h, 'a', 'c1', 1)
    expect(h.monitor.runtime('a').status).toMatchObject({ state: 'starting', etaSeconds: 100, progress: 0 })
    h.docker.log('c1', LOAD[0]!)
    await h.until('weights', () => h!.monitor.runtime('a').status.phase === 'weights')
    const { etaSeconds, progress } = h.monitor.runtime('a').status
    expect(etaSeconds).toBeGreaterThan(90)
    expect(etaSeconds).toBeLessThanOrEqual(100)
    expect(progress).toBeGreaterThanOrEqual(0)
    expect(progress).toBeLessThan(0.1)
  })

  it('the process dies during the load → failed, with the diagnosis read from its log', async () => {
    h = startMonitor(['a'])
    await deploy(h, 'a', 'c1', 1)
    h.docker.log('c1', LOAD[0]!)
    const err =
      '(EngineCore pid=1) ValueError: Free memory on device cuda:0 (20.67/23.60 GiB) on startup is less than desired GPU memory ' +
      'utilization (0.95, 22.42 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.'
    h.docker.log('c1', err, 'stderr')
    h.docker.exit('c1', 1)
    await h.until('failed', () => h!.monitor.runtime('a').state === 'failed')
    const st = h.monitor.runtime('a').status
    const fix = { setArgs: { '--gpu-memory-utilization': 0.82 } }
    expect(st.diagnosis).toMatchObject({ kind: 'gpu-memory-utilization', exitCode: 1, fix })
    expect(st).toMatchObject({ phase: null, progress: null, etaSeconds: null })
    // The log is kept after the container is gone.
    expect(h.monitor.runtime('a').lines.map((l) => l.text)).toContain(err)
  })

  it('a stop asked for (SIGTERM, exit 0 or 143) → stopping → stopped, no diagnosis', async () => {
    h = startMonitor(['a'])
    await deploy(h, 'a', 'c1', 1)
    h.docker.healthy('c1')
    await h.until('ready', () => h!.monitor.runtime('a').state === 'ready')
    const rt = h.monitor.runtime('a')
    // Cancelling a deploy stops its container outside a job: the monitor sees the exit.
    rt.expectExit()
    rt.setState('stopping')
    h.docker.exit('c1', 143)
    await h.until('stopped', () => rt.state === 'stopped')
    expect(h.history.get('a')?.slice(-3)).toEqual(['ready', 'stopping', 'stopped'])
    expect(rt.status.diagnosis).toBeNull()
  })
})

describe('deployment state machine: Docker starts a container on its own', () => {
  it('a container started outside the app is picked up: create → reconcile, start → starting', async () => {
    h = startMonitor(['a'])
    await h.until('the event stream', () => h!.docker.eventStreams.length === 1)
    h.docker.create('c1', 'a', 1234)
    await h.until('the container read', () => h!.monitor.runtime('a').status.containerId === 'c1')
    expect(h.monitor.runtime('a').state).toBe('stopped')
    h.docker.start('c1')
    await h.until('starting', () => h!.monitor.runtime('a').state === 'starting')
    expect(h.monitor.runtime('a').status).toMatchObject({ hostPort: 1234, endpoint: 'http://127.0.0.1:1234/v1' })
  })

  it('a log line written before the start event reaches the monitor is not lost: its phase counts', async () => {
    h = startMonitor(['a'])
    await h.until('the event stream', () => h!.docker.eventStreams.length === 1)
    h.docker.create('c1', 'a', 1)
    await h.until('the container read', () => h!.monitor.runtime('a').status.containerId === 'c1')
    h.docker.start('c1', { emit: false })
    h.docker.log('c1', LOAD[0]!)
    h.docker.emit('start', 'c1')
    await h.until('weights', () => h!.monitor.runtime('a').status.phase === 'weights')
    expect(h.history.get('a')).toEqual(['stopped', 'starting', 'loading:weights'])
    expect(h.monitor.runtime('a').lines.map((l) => l.text)).toEqual([LOAD[0]])
  })
})
