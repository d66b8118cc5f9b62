import { describe, expect, it } from 'vitest'
import type { Deployment, DeploymentState } from '../../shared/contract/deployments'
import type { GatewayStatus } from '../../shared/contract/gateway'
import type { GpusSnapshot, GpuState } from '../../shared/contract/gpu'
import type { Job } from '../../shared/contract/jobs'
import {
  buildTrayView,
  gpuLine,
  menuLabel,
  toTemplate,
  type TrayAction,
  type TrayInput,
  type TrayMenuEntry,
  type TrayMenuItem,
} from './tray-menu'

function gpu(index: number, name: string, usedMiB: number, totalMiB: number, util: number | null): GpuState {
  return {
    index,
    uuid: `GPU-${index}`,
    name,
    memoryTotalMiB: totalMiB,
    memoryUsedMiB: usedMiB,
    memoryFreeMiB: totalMiB - usedMiB,
    utilizationPct: util,
    powerDrawW: null,
    powerLimitW: null,
    temperatureC: null,
    driverVersion: '580.1',
    memory: { containers: [], otherMiB: 0, otherProcesses: [], freeMiB: totalMiB - usedMiB, reservedMiB: 0, appsAt: null },
  }
}

const twoGpus: GpusSnapshot = {
  status: 'ok',
  at: '2026-12-05T08:00:00Z',
  intervalMs: 1000,
  fault: null,
  gpus: [gpu(0, 'NVIDIA GeForce RTX 4090', 12390, 24564, 45), gpu(1, 'NVIDIA GeForce RTX 4090', 2048, 24564, 0)],
}

const noGpu: GpusSnapshot = {
  status: 'fault',
  at: null,
  intervalMs: 1000,
  fault: {
    kind: 'no-gpu',
    message: 'No devices were found',
    fix: 'Install an NVIDIA GPU',
    exitCode: 6,
    since: '',
    attempts: 0,
    retryAt: null,
  },
  gpus: [],
}

function deployment(id: string, name: string, state: DeploymentState, serve: 'on-demand' | 'always-on' | 'off' = 'on-demand'): Deployment {
  return {
    definition: { id, name, serve } as Deployment['definition'],
    status: { state, diagnosis: null } as Deployment['status'],
  }
}

function gatewayModel(id: string, name: string, state: GatewayStatus['models'][number]['state'], progress: number | null = null) {
  return {
    id,
    name,
    names: [name],
    serve: 'on-demand' as const,
    state,
    inFlight: 0,
    held: 0,
    lastUsed: null,
    unloadAt: null,
    phase: null,
    progress,
    etaSeconds: null,
  }
}

function gateway(models: GatewayStatus['models']): GatewayStatus {
  return {
    enabled: true,
    running: true,
    url: 'http://127.0.0.1:8000/v1',
    port: 8000,
    host: '127.0.0.1',
    error: null,
    keysRequiredOnLoopback: false,
    models,
    keys: [],
    keysError: null,
  }
}

function job(id: string, state: Job['state'], kind: Job['kind'] = 'model.pull'): Job {
  return {
    id,
    kind,
    title: `Download ${id}`,
    target: `org/${id}`,
    state,
    progress: { bytesDone: 0, bytesTotal: 1, rate: 0, etaSeconds: null },
    canPause: true,
    createdAt: '2026-12-05T08:00:00Z',
  }
}

/** Three models: one loaded, one loading through the gateway, one started by hand (serve off) that failed. */
const busy: TrayInput = {
  gpus: twoGpus,
  deployments: [
    deployment('d1', 'Qwen3-8B', 'ready'),
    deployment('d2', 'Llama-3.1-8B', 'loading'),
    {
      ...deployment('d3', 'Mistral-7B', 'failed', 'off'),
      status: { state: 'failed', diagnosis: { reason: 'Not enough GPU memory' } } as Deployment['status'],
    },
  ],
  gateway: gateway([gatewayModel('d1', 'qwen3-8b', 'loaded'), gatewayModel('d2', 'llama-3.1-8b', 'loading', 0.42)]),
  webui: { state: 'healthy', url: 'http://127.0.0.1:3000', job: null },
  jobs: [job('a', 'running'), job('b', 'queued'), job('c', 'done')],
  dockerError: null,
}

const idle: TrayInput = {
  gpus: noGpu,
  deployments: [],
  gateway: gateway([]),
  webui: { state: 'absent', url: null, job: null },
  jobs: [],
  dockerError: null,
}

function find(entries: TrayMenuEntry[], id: string): TrayMenuItem {
  for (const e of entries) {
    if ('type' in e) continue
    if (e.id === id) return e
    const inner = e.submenu ? find(e.submenu, id) : undefined
    if (inner) return inner
  }
  return undefined as unknown as TrayMenuItem
}

const labels = (entries: TrayMenuEntry[]) => entries.map((e) => ('type' in e ? '---' : e.label))

describe('tray menu: two GPUs, three models in different states, Open WebUI running', () => {
  const view = buildTrayView(busy)

  it('shows one status row per GPU in the issue format', () => {
    expect(find(view.items, 'gpu:0')).toMatchObject({ label: 'GPU 0 · RTX 4090 · 12.1 / 24 GiB · 45 %', enabled: false })
    expect(find(view.items, 'gpu:1').label).toBe('GPU 1 · RTX 4090 · 2 / 24 GiB · 0 %')
  })

  it('lists each model with its state and one action: unload/load through the gateway, start for a hand-run one', () => {
    expect(find(view.items, 'model:d1').label).toBe('qwen3-8b · loaded')
    expect(find(view.items, 'unload:d1').action).toEqual({ type: 'gateway.unload', name: 'qwen3-8b' })
    expect(find(view.items, 'model:d2').label).toBe('llama-3.1-8b · loading 42 %')
    expect(find(view.items, 'model:d3').label).toBe('Mistral-7B · failed: Not enough GPU memory')
    expect(find(view.items, 'start:d3')).toMatchObject({ label: 'Start again', action: { type: 'deployment.start', id: 'd3' } })
  })

  it('is a problem while a model has failed, and says so in the one-line tooltip with the VRAM', () => {
    expect(view.icon).toBe('problem')
    expect(view.tooltip).toBe('InferAdmin: 1 failed · serving 1 model · loading 1 · VRAM 14.1 / 48 GiB')
    expect(view.tooltip).not.toContain('\n')
  })

  it('opens Open WebUI in the browser, copies the gateway URL, pauses the two active downloads', () => {
    expect(find(view.items, 'webui')).toMatchObject({
      label: 'Open WebUI in browser',
      action: { type: 'webui.open', url: 'http://127.0.0.1:3000' },
    })
    expect(find(view.items, 'gateway-url').action).toEqual({ type: 'gateway.copy-url', url: 'http://127.0.0.1:8000/v1' })
    expect(find(view.items, 'downloads')).toMatchObject({
      label: 'Pause all downloads (2)',
      action: { type: 'downloads.pause', jobIds: ['a', 'b'] },
    })
  })

  it('ends with Open InferAdmin and Quit, in the issue order', () => {
    expect(labels(view.items).slice(-3)).toEqual(['---', 'Open InferAdmin', 'Quit InferAdmin'])
    expect(find(view.items, 'quit').action).toEqual({ type: 'quit' })
  })

  it('is loading (not problem) once the failed model is fixed', () => {
    const fixed = { ...busy, deployments: busy.deployments!.slice(0, 2) }
    expect(buildTrayView(fixed).icon).toBe('loading')
    const loaded = { ...fixed, gateway: gateway([gatewayModel('d1', 'qwen3-8b', 'loaded'), gatewayModel('d2', 'llama-3.1-8b', 'cold')]) }
    const v = buildTrayView(loaded)
    expect(v.icon).toBe('serving')
    expect(find(v.items, 'load:d2')).toMatchObject({ label: 'Load', action: { type: 'gateway.load', name: 'llama-3.1-8b' } })
  })
})

describe('tray menu: no GPU, nothing deployed, Open WebUI absent', () => {
  const view = buildTrayView(idle)

  it('is idle, says there is no GPU and no model, and offers to deploy Open WebUI', () => {
    expect(view.icon).toBe('idle')
    expect(view.tooltip).toBe('InferAdmin: idle')
    expect(find(view.items, 'gpu:fault').label).toBe('No NVIDIA GPU found')
    expect(find(view.items, 'models:none').label).toBe('No models deployed')
    expect(find(view.items, 'webui')).toMatchObject({ label: 'Deploy Open WebUI', action: { type: 'webui.deploy' } })
  })

  it('greys out Copy gateway URL while the gateway is not listening and offers no download action', () => {
    const v = buildTrayView({ ...idle, gateway: { ...gateway([]), running: false, url: null } })
    expect(find(v.items, 'gateway-url')).toMatchObject({ enabled: false })
    expect(find(v.items, 'gateway-url').action).toBeUndefined()
    expect(find(v.items, 'downloads')).toMatchObject({ label: 'Pause all downloads', enabled: false })
  })

  it('offers Resume when downloads are paused, and waits for the first GPU sample', () => {
    const v = buildTrayView({ ...idle, gpus: null, jobs: [job('p', 'paused'), job('x', 'paused', 'engine.pull')] })
    expect(find(v.items, 'downloads')).toMatchObject({ label: 'Resume downloads (1)', action: { type: 'downloads.resume', jobIds: ['p'] } })
    expect(find(v.items, 'gpu:none').label).toBe('GPUs: waiting for the first sample')
  })

  it('shows Open WebUI deploying while its job runs (no second deploy)', () => {
    const v = buildTrayView({ ...idle, webui: { state: 'creating', url: null, job: null } })
    expect(find(v.items, 'webui')).toMatchObject({ label: 'Open WebUI: deploying…', enabled: false })
  })
})

describe('tray menu: Docker unreachable', () => {
  const view = buildTrayView({
    ...idle,
    gpus: twoGpus,
    deployments: null,
    gateway: gateway([gatewayModel('d1', 'qwen3-8b', 'loaded')]),
    webui: { state: 'docker-unreachable', url: null, job: null },
    dockerError: 'connect ENOENT /var/run/docker.sock',
  })

  it('is a problem, says Docker is not reachable, and still lists what the gateway knows', () => {
    expect(view.icon).toBe('problem')
    expect(view.tooltip).toMatch(/^InferAdmin: Docker is not reachable · serving 1 model/)
    expect(find(view.items, 'model:d1').label).toBe('qwen3-8b · loaded')
    expect(find(view.items, 'webui')).toMatchObject({ label: 'Open WebUI: Docker is not reachable', enabled: false })
  })

  it('says so in the models section when nothing is known', () => {
    const v = buildTrayView({ ...idle, deployments: null, dockerError: 'down', gateway: null })
    expect(find(v.items, 'models:none').label).toBe('Models: Docker is not reachable')
  })
})

describe('labels and the Electron template', () => {
  it('doubles & (dbusmenu mnemonics), keeps one line and caps the length', () => {
    expect(menuLabel('R&D\nmodel')).toBe('R&&D model')
    expect(menuLabel('x'.repeat(80))).toHaveLength(60)
  })

  it('leaves out what the driver does not report', () => {
    expect(gpuLine({ ...gpu(2, 'NVIDIA H100 80GB HBM3', 0, 81559, null), memoryUsedMiB: null })).toBe('GPU 2 · H100 80GB HBM3')
  })

  it('turns items into a template whose clicks dispatch the item action, submenus included', () => {
    const seen: TrayAction[] = []
    const template = toTemplate(buildTrayView(busy).items, (a) => seen.push(a))
    const model = template.find((t) => t.id === 'model:d1')
    model?.submenu?.find((t) => t.id === 'unload:d1')?.click?.()
    template.find((t) => t.id === 'quit')?.click?.()
    expect(seen).toEqual([{ type: 'gateway.unload', name: 'qwen3-8b' }, { type: 'quit' }])
    expect(template.filter((t) => t.type === 'separator').every((t) => t.label === undefined)).toBe(true)
    expect(template.find((t) => t.id === 'summary')?.click).toBeUndefined()
  })
})
