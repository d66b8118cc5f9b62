import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Deployment, DeploymentSpecInput, OrphanContainer } from '../../src/shared/contract/deployments'
import type { GpusSnapshot } from '../../src/shared/contract/gpu'
import type { PlannerStatus } from '../../src/shared/contract/planner'
import type { Job } from '../../src/shared/contract/jobs'
import { simPaths } from '../sim/config.js'
import { restartPrivateDockerd } from '../sim/engine/dockerd.js'
import { setExternalGpuUsage } from '../sim/gpu-control.js'
import { PROFILES } from '../sim/gpus/profiles.js'
import { seedModel } from '../sim/seed.js'
import {
  action,
  createDeployment,
  getDeployment,
  makeHome,
  ourContainers,
  serve,
  streamChat,
  waitFor,
  waitState,
  type Server,
} from './support'

// The deployments of the app (the real headless server as a child process) against the simulated
// workstation: private dockerd with the stand-in GPU hook, simulated vLLM images, stand-in nvidia-smi.
const [gpu0, gpu1] = PROFILES.default!.gpus
let env: Record<string, string>
let docker: Docker
let home: string
let server: Server
let model: string
const ids: Record<string, string> = {}

const appEnv = (): Record<string, string> => ({ DOCKER_HOST: env.DOCKER_HOST!, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI! })
const spec = (name: string, gpu: string, util: number, extra: Partial<DeploymentSpecInput> = {}): DeploymentSpecInput => ({
  name,
  model: { repo: model, revision: 'main' },
  image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
  gpus: [gpu],
  args: { '--gpu-memory-utilization': util },
  // The simulated vLLM loads 4× faster than its default timeline.
  env: { INFERADMIN_SIM_SPEED: '4' },
  ...extra,
})
const gpus = async (): Promise<GpusSnapshot> => (await server.api<GpusSnapshot>('GET', '/gpus')).body
const onGpu = (s: GpusSnapshot, index: number, deploymentId: string) =>
  s.gpus[index]?.memory.containers.find((c) => c.deploymentId === deploymentId)

beforeAll(async () => {
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  setExternalGpuUsage(1, 0, { simDir: env.INFERADMIN_SIM_DIR })
  home = mkdtempSync(join(tmpdir(), 'inferadmin-deploy-'))
  makeHome(home)
  model = (await seedModel(join(home, 'models'), { kind: 'chat' })).repo
  server = await serve(home, appEnv())
}, 120_000)

afterAll(async () => {
  await server?.kill('SIGKILL')
  if (docker) for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  if (env) setExternalGpuUsage(1, 0, { simDir: env.INFERADMIN_SIM_DIR })
  if (home) rmSync(home, { recursive: true, force: true })
})

// An ordered scenario, not independent tests: each step uses the deployments alpha, bravo and charlie that the steps before created and started
// (starting them again for every test would add minutes to each run). Shuffled runs (npm run test:stress) keep this
// order; the files themselves still run in random order.
describe('vLLM deployments on the simulated workstation', { shuffle: false }, () => {
  it('serves exactly the REST routes of the issue (and documents them in openapi.json)', async () => {
    const doc = (await server.api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json')).body
    const routes = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/deployments'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort()
    expect(routes).toEqual([
      'DELETE /deployments/{id}',
      'GET /deployments',
      'GET /deployments/{id}',
      'GET /deployments/{id}/logs',
      'POST /deployments',
      'POST /deployments/{id}/restart',
      'POST /deployments/{id}/start',
      'POST /deployments/{id}/stop',
      'PUT /deployments/{id}',
    ])
  })

  it('rejects a flag the image does not know before any container is created, naming it (and the successor of a removed one)', async () => {
    const before = (await ourContainers(docker)).length
    const r = await server.api<{ message: string; data: { fields: Record<string, string> } }>(
      'POST',
      '/deployments',
      spec('bad', gpu1!.uuid, 0.5, { args: { '--bogus-flag': true }, extraArgs: '--disable-log-requests' }),
    )
    expect(r.status).toBe(400)
    expect(r.body.message).toMatch(/Arguments rejected by inferadmin-sim\/vllm-openai:latest/)
    expect(r.body.message).toMatch(/--bogus-flag is not a flag/)
    expect(r.body.message).toMatch(/--disable-log-requests was removed .* use --no-enable-log-requests/)
    expect(r.body.data.fields).toHaveProperty(['args.--bogus-flag'])
    expect((await ourContainers(docker)).length).toBe(before)
    expect((await server.api<Deployment[]>('GET', '/deployments')).body).toEqual([])
  })

  it('reads each image’s own flags once per digest (--help for the ≤ v0.11 api_server image), cached under dataDir', async () => {
    const rpc = await server.rpc()
    try {
      const old = await rpc.client.deployments.flags({ image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:v0.10.0` })
      expect(old).toMatchObject({ source: 'image', note: null })
      const names = new Set(old.flags.map((f) => f.flag))
      expect(names.has('--disable-log-requests')).toBe(true)
      expect(names.has('--enable-log-requests')).toBe(false)
      const latest = await rpc.client.deployments.flags({ image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest` })
      expect(latest.flags.find((f) => f.flag === '--gpu-memory-utilization')).toMatchObject({
        type: 'float',
        min: 0,
        minExclusive: true,
        max: 1,
      })
      expect(readdirSync(join(home, 'engine-flags')).filter((f) => f.endsWith('.json'))).toHaveLength(2)
      const missing = await rpc.client.deployments.flags({ image: 'inferadmin-sim/not-pulled:v9' })
      expect(missing.source).toBe('bundled')
      expect(missing.note).toMatch(/not pulled/)
      // The same removed flag is fine for the old image.
      const ok = await rpc.client.deployments.validateArgs({
        image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:v0.10.0`,
        args: { '--disable-log-requests': true },
        extraArgs: '',
      })
      expect(ok.problems).toEqual([])
    } finally {
      rpc.close()
    }
    // No flag-reading container is left behind.
    expect(await docker.listContainers({ all: true, filters: JSON.stringify({ label: ['inferadmin.kind=flags'] }) })).toEqual([])
  })

  it('deploys on GPU 1 with --gpu-memory-utilization 0.5: phases in order, ready, a streaming chat completion, VRAM on GPU 1 attributed', async () => {
    const a = await createDeployment(server, spec('alpha', gpu1!.uuid, 0.5))
    ids.a = a.definition.id
    expect(a.status.state).toBe('stopped')
    const job = await action(server, ids.a, 'start')
    expect(job.kind).toBe('deployment.deploy')
    const seen: string[] = []
    const ready = await waitState(server, ids.a, 'ready', 30_000, seen)
    expect(seen).toContain('starting')
    expect(ready.status.timings.map((t) => t.phase)).toEqual(['starting', 'weights', 'kv-cache', 'graph-capture', 'server-start'])
    const c = await docker.getContainer(ready.status.containerId!).inspect()
    expect(c.Config.Labels).toMatchObject({
      'inferadmin.managed': 'true',
      'inferadmin.kind': 'vllm',
      'inferadmin.deployment': ids.a,
      'inferadmin.model': model,
    })
    expect(c.Config.Env).toContain('HF_HUB_OFFLINE=1')
    expect(c.Config.Cmd?.slice(0, 2)).toEqual(['--model', model])
    expect(c.HostConfig.Binds?.[0]).toMatch(/:\/root\/\.cache\/huggingface\/hub:ro$/)
    expect(c.HostConfig.DeviceRequests?.[0]?.DeviceIDs).toEqual([gpu1!.uuid])
    expect(c.HostConfig.PortBindings?.['8000/tcp']?.[0]).toMatchObject({ HostIp: '127.0.0.1', HostPort: String(ready.status.hostPort) })
    // Its own /dev/shm of Settings.vllmShmSize (default 10.24g), not the host's IPC namespace.
    expect(c.HostConfig.ShmSize).toBe(Math.floor(10.24 * 2 ** 30))
    expect(c.HostConfig.IpcMode).not.toBe('host')
    const chat = await streamChat(ready.status.endpoint!, model, 'Say hello')
    expect(chat.chunks).toBeGreaterThan(1)
    const s = await waitFor(
      'VRAM of alpha on GPU 1',
      async () => {
        const x = await gpus()
        return (onGpu(x, 1, ids.a!)?.usedMiB ?? 0) > 0 ? x : undefined
      },
      15_000,
    )
    expect(onGpu(s, 0, ids.a!)).toBeUndefined()
    const placed = await waitFor(
      'vramMiB and the GPU check',
      async () => {
        const d = await getDeployment(server, ids.a!)
        return (d.status.vramMiB ?? 0) > 0 ? d : undefined
      },
      15_000,
    )
    expect(placed.status.gpuWarning).toBeNull()
    const done = await waitFor('the deploy job done', async () => {
      const j = (await server.api<Job>('GET', `/jobs/${job.id}`)).body
      return j.state === 'done' ? j : undefined
    })
    expect(done.result).toMatchObject({ state: 'ready' })
  })

  it('shows an ETA from the previous load on restart, and logs with search', async () => {
    const before = await getDeployment(server, ids.a!)
    const previous = before.status.timings.reduce((a, t) => a + t.seconds, 0)
    await action(server, ids.a!, 'restart')
    const etas: number[] = []
    await waitFor(
      'alpha ready again',
      async () => {
        const d = await getDeployment(server, ids.a!)
        if ((d.status.state === 'starting' || d.status.state === 'loading') && d.status.etaSeconds !== null) etas.push(d.status.etaSeconds)
        return d.status.state === 'ready' && etas.length ? d : undefined
      },
      30_000,
      20,
    )
    // The ETA starts at the previous load's total and only counts down.
    expect(previous).toBeGreaterThan(1)
    expect(etas[0]).toBeLessThanOrEqual(Math.round(previous))
    expect(etas[0]).toBeGreaterThanOrEqual(Math.round(previous) - 2)
    expect(etas).toEqual([...etas].sort((x, y) => y - x))
    const logs = await server.api<{ lines: { text: string }[] }>('GET', `/deployments/${ids.a}/logs?tail=500&search=KV%20cache`)
    expect(logs.status).toBe(200)
    expect(logs.body.lines.length).toBeGreaterThan(0)
    expect(logs.body.lines.every((l) => l.text.toLowerCase().includes('kv cache'))).toBe(true)
  })

  it('runs two deployments on two GPUs; stopping one frees its VRAM and the other keeps serving', async () => {
    const b = await createDeployment(server, spec('bravo', gpu0!.uuid, 0.4, { restartPolicy: 'unless-stopped' }))
    ids.b = b.definition.id
    await action(server, ids.b, 'start')
    const bReady = await waitState(server, ids.b, 'ready')
    await waitFor(
      'both attributed',
      async () => {
        const x = await gpus()
        return onGpu(x, 0, ids.b!) && onGpu(x, 1, ids.a!) ? x : undefined
      },
      15_000,
    )
    const usedBefore = (await gpus()).gpus[1]!.memoryUsedMiB!
    await action(server, ids.a!, 'stop')
    await waitState(server, ids.a!, 'stopped')
    const freed = await waitFor(
      'GPU 1 freed',
      async () => {
        const x = await gpus()
        return !onGpu(x, 1, ids.a!) && x.gpus[1]!.memoryUsedMiB! < usedBefore - 5000 ? x : undefined
      },
      15_000,
    )
    expect(freed.gpus[1]!.memory.containers).toEqual([])
    const chat = await streamChat(bReady.status.endpoint!, model, 'Still there?')
    expect(chat.chunks).toBeGreaterThan(1)
    expect((await getDeployment(server, ids.b)).status.state).toBe('ready')
  })

  it('warns when the container’s processes are not on a requested GPU (CUDA_VISIBLE_DEVICES narrows it to GPU 1 of 0 and 1)', async () => {
    const d = await createDeployment(
      server,
      spec('delta', gpu0!.uuid, 0.3, {
        gpus: [gpu0!.uuid, gpu1!.uuid],
        tensorParallelSize: 1,
        env: { INFERADMIN_SIM_SPEED: '4', CUDA_VISIBLE_DEVICES: '1' },
      }),
    )
    await action(server, d.definition.id, 'start')
    await waitState(server, d.definition.id, 'ready')
    const warned = await waitFor(
      'the GPU placement warning',
      async () => {
        const x = await getDeployment(server, d.definition.id)
        return x.status.gpuWarning ?? undefined
      },
      15_000,
      200,
    )
    expect(warned).toMatch(new RegExp(`not on the GPU it was meant for: no process of the container on GPU 0 \\(${gpu0!.uuid}\\)`))
    await server.api('DELETE', `/deployments/${d.definition.id}`)
    await waitFor('delta deleted', async () => (await server.api('GET', `/deployments/${d.definition.id}`)).status === 404)
    await waitFor('GPU 1 free of delta', async () => !onGpu(await gpus(), 1, d.definition.id))
  })

  it('refuses 0.95 on a GPU with external use, naming the other programs, and the one-click fix makes it start', async () => {
    const c = await createDeployment(server, spec('charlie', gpu1!.uuid, 0.95))
    ids.c = c.definition.id
    // The memory planner refuses the start before any container (#16), names the other programs and offers the largest
    // utilization that fits beside them (vLLM's own free-memory failure and its fix: log-analysis and footprints tests).
    setExternalGpuUsage(1, 3000, { simDir: env.INFERADMIN_SIM_DIR })
    await waitFor('the planner sees the external use', async () =>
      ((await server.api<PlannerStatus>('GET', '/planner')).body.gpus[1]?.externalBytes ?? 0) >= 3000 * 1024 ** 2 ? true : undefined,
    )
    const job = await action(server, ids.c, 'start')
    const j = await waitFor('the deploy job failed', async () => {
      const x = (await server.api<Job>('GET', `/jobs/${job.id}`)).body
      return x.state === 'failed' ? x : undefined
    })
    expect(j.error?.message).toMatch(/^Not enough GPU memory to start charlie: GPU 1 .*other programs/)
    const d = (await getDeployment(server, ids.c)).status.diagnosis!
    expect(d.kind).toBe('gpu-memory-utilization')
    expect(d.hint).toMatch(/^Free the memory other programs hold on GPU 1 .* Or lower --gpu-memory-utilization to 0\.\d+\.$/)
    // No container was made for it.
    expect((await ourContainers(docker)).some((x) => x.Labels['inferadmin.deployment'] === ids.c)).toBe(false)
    const fixed = d.fix!.setArgs['--gpu-memory-utilization'] as number
    expect(fixed).toBeLessThan(0.95)
    expect(fixed).toBeGreaterThan(0.5)
    const rpc = await server.rpc()
    try {
      const after = await rpc.client.deployments.applyFix({ id: ids.c, start: true })
      expect(after.definition.args['--gpu-memory-utilization']).toBe(fixed)
    } finally {
      rpc.close()
    }
    await waitState(server, ids.c, 'ready')
    // While charlie serves the model, the store refuses to delete it.
    const del = await server.api<{ message: string }>('DELETE', `/models/${model}`)
    expect(del.status).toBe(409)
    expect(del.body.message).toMatch(/charlie/)
  })

  it('exports a definition as YAML and imports it as a new one', async () => {
    const rpc = await server.rpc()
    try {
      const { yaml, fileName } = await rpc.client.deployments.exportYaml({ id: ids.c! })
      expect(fileName).toBe('charlie.deployment.yaml')
      expect(yaml).toMatch(/^apiVersion: inferadmin\/v1\nkind: Deployment\nspec:/)
      expect(yaml).toContain('--gpu-memory-utilization')
      const copy = await rpc.client.deployments.importYaml({ yaml: yaml.replace('name: charlie', 'name: charlie-copy') })
      expect(copy.definition).toMatchObject({
        name: 'charlie-copy',
        gpus: [gpu1!.uuid],
        args: (await getDeployment(server, ids.c!)).definition.args,
      })
      expect(copy.status.state).toBe('stopped')
      const dup = await rpc.client.deployments.importYaml({ yaml }).catch((e: { code: string; message: string }) => e)
      expect(dup).toMatchObject({ code: 'CONFLICT' })
      await rpc.client.deployments.delete({ id: copy.definition.id })
      await waitFor('copy deleted', async () => (await server.api('GET', `/deployments/${copy.definition.id}`)).status === 404)
    } finally {
      rpc.close()
    }
  })

  it('adopts both running deployments after kill -9 of the app: ready, no new container, no second start', async () => {
    const before = (await ourContainers(docker))
      .filter((c) => c.State === 'running')
      .map((c) => c.Id)
      .sort()
    expect(before).toHaveLength(2)
    await server.kill('SIGKILL')
    server = await serve(home, appEnv())
    // a liveness bound, not a speed target (adoption takes ~1 s; the bench measures speed)
    for (const id of [ids.b!, ids.c!]) await waitState(server, id, 'ready', 30_000)
    const after = await ourContainers(docker)
    expect(
      after
        .filter((c) => c.State === 'running')
        .map((c) => c.Id)
        .sort(),
    ).toEqual(before)
    expect(after).toHaveLength(3) // bravo, charlie and alpha's stopped container: nothing created
    const jobs = (await server.api<Job[]>('GET', '/jobs')).body
    expect(jobs.filter((j) => j.kind === 'deployment.deploy' && j.state === 'running')).toEqual([])
    expect((await getDeployment(server, ids.a!)).status.state).toBe('stopped')
  })

  it('is correct again soon after dockerd restarts under it (restart policy brings bravo back; charlie stays stopped)', async () => {
    const { downMs } = await restartPrivateDockerd(simPaths(env.INFERADMIN_SIM_DIR))
    await waitFor(
      'states after the dockerd restart',
      async () => {
        const b = await getDeployment(server, ids.b!)
        const c = await getDeployment(server, ids.c!)
        return b.status.state === 'ready' && c.status.state === 'stopped' ? true : undefined
      },
      30_000,
      50,
    )
    const b = await getDeployment(server, ids.b!)
    const running = await docker.getContainer(b.status.containerId!).inspect()
    expect(running.State.Running).toBe(true)
    expect((await fetch(b.status.endpoint!.replace(/\/v1$/, '/health'))).status).toBe(200)
    expect(downMs).toBeGreaterThan(0)
  })

  it('lists a container whose definition is gone as an orphan and removes it; delete removes container and definition', async () => {
    let strayId = ''
    const rpc = await server.rpc()
    try {
      const it = await rpc.client.deployments.watch()
      /** The next orphan list the page receives live (after the snapshot) that satisfies `until`. */
      const orphans = async (until: (o: OrphanContainer[]) => boolean): Promise<OrphanContainer[]> => {
        // next() by hand: a for-await loop would close the stream when it returns.
        for (let r = await it.next(); !r.done; r = await it.next()) {
          if (r.value.type === 'orphans' && until(r.value.orphans)) return r.value.orphans
        }
        throw new Error('the deployment stream ended')
      }
      const first = await it.next()
      expect(!first.done && first.value.type).toBe('snapshot')
      const image = `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`
      const labels = { 'inferadmin.managed': 'true', 'inferadmin.kind': 'vllm', 'inferadmin.deployment': 'gone-0000' }
      const stray = await docker.createContainer({ Image: image, Cmd: ['--help'], Labels: labels })
      strayId = stray.id
      // What the Deployments page lists: the stray container, with the id of its deleted definition.
      const listed = await orphans((o) => o.some((x) => x.containerId === stray.id))
      expect(listed.find((x) => x.containerId === stray.id)).toMatchObject({ deploymentId: 'gone-0000', state: 'created', image })
      expect(listed.some((x) => ids.b && x.deploymentId === ids.b)).toBe(false)
      expect((await rpc.client.deployments.removeOrphan({ containerId: stray.id })).removed).toBe(true)
      await orphans((o) => !o.some((x) => x.containerId === strayId))
      await it.return?.(undefined)
    } finally {
      rpc.close()
    }
    await expect(docker.getContainer(strayId).inspect()).rejects.toMatchObject({ statusCode: 404 })
    const del = await server.api<Job>('DELETE', `/deployments/${ids.b}`)
    expect(del.body.kind).toBe('deployment.delete')
    await waitFor('bravo gone', async () => (await server.api('GET', `/deployments/${ids.b}`)).status === 404)
    expect((await ourContainers(docker)).filter((c) => c.Labels['inferadmin.deployment'] === ids.b)).toEqual([])
  })
})
