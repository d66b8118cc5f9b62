/**
 * Test support: a small in-process core for the shell tests. The procedures the desktop shell calls are real oRPC
 * handlers on the shared contract (same validation, same streams as the app), backed by publishers the test drives;
 * the actions record their calls. Not a test file itself: lifecycle and desktop-shell tests import it.
 */
import { Deployment, type DeploymentEvent, type DeploymentState } from '../../shared/contract/deployments'
import { GatewayStatus } from '../../shared/contract/gateway'
import { GpusSnapshot } from '../../shared/contract/gpu'
import type { Job, JobEvent } from '../../shared/contract/jobs'
import { WebuiStatus } from '../../shared/contract/webui'
import { Publisher } from '../core/events/publisher'
import { base } from '../core/rpc/base'
import type { AppRouter } from '../core/router'

export interface TestCoreState {
  gpus: GpusSnapshot
  deployments: Deployment[]
  gateway: GatewayStatus
  webui: WebuiStatus
  jobs: Job[]
}

export function job(id: string, state: Job['state'], kind: Job['kind'] = 'model.pull'): Job {
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

export function gatewayStatus(models: GatewayStatus['models'] = []): GatewayStatus {
  return GatewayStatus.parse({
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
  })
}

export function gatewayModel(id: string, name: string, state: GatewayStatus['models'][number]['state']): GatewayStatus['models'][number] {
  return {
    id,
    name,
    names: [name],
    serve: 'on-demand',
    state,
    inFlight: 0,
    held: 0,
    lastUsed: null,
    unloadAt: null,
    phase: null,
    progress: null,
    etaSeconds: null,
  }
}

export function webuiStatus(state: WebuiStatus['state'], url: string | null = null): WebuiStatus {
  return WebuiStatus.parse({
    state,
    image: 'ghcr.io/open-webui/open-webui:main',
    tag: 'main',
    port: 3000,
    url,
    containerId: null,
    health: null,
    volume: { name: 'inferadmin-open-webui', exists: false },
    connections: [],
    sync: { state: 'not-running', at: null, message: null, fix: null, applied: [] },
    warning: null,
    error: state === 'docker-unreachable' ? { message: 'connect ENOENT /var/run/docker.sock', fix: 'Start Docker' } : null,
    job: null,
  })
}

/** A deployment as the contract has it (parsed, defaults filled in). */
export function deployment(id: string, name: string, state: DeploymentState): Deployment {
  const now = '2026-12-05T08:00:00.000Z'
  return Deployment.parse({
    definition: {
      id,
      createdAt: now,
      updatedAt: now,
      name,
      model: { repo: `org/${name}` },
      image: 'vllm/vllm-openai:v0.21.0',
      gpus: ['GPU-0'],
      hostPort: 8001,
      args: {},
    },
    status: {
      state,
      phase: null,
      progress: null,
      etaSeconds: null,
      containerId: null,
      hostPort: null,
      endpoint: null,
      listen: null,
      networkUrls: [],
      since: now,
      startedAt: null,
      readyAt: null,
      timings: [],
      diagnosis: null,
      gpuWarning: null,
      commit: null,
      vramMiB: null,
    },
  })
}

/** An 'ok' snapshot of RTX 4090s with these used MiB (24 GiB each). */
export function gpus(...usedMiB: number[]): GpusSnapshot {
  return GpusSnapshot.parse({
    status: 'ok',
    at: '2026-12-05T08:00:00Z',
    intervalMs: 1000,
    fault: null,
    gpus: usedMiB.map((used, index) => ({
      index,
      uuid: `GPU-${index}`,
      name: 'NVIDIA GeForce RTX 4090',
      memoryTotalMiB: 24564,
      memoryUsedMiB: used,
      memoryFreeMiB: 24564 - used,
      utilizationPct: 45,
      powerDrawW: null,
      powerLimitW: null,
      temperatureC: null,
      driverVersion: '580.1',
      memory: { containers: [], otherMiB: 0, otherProcesses: [], freeMiB: 24564 - used, reservedMiB: 0, appsAt: null },
    })),
  })
}

const noGpus: GpusSnapshot = { status: 'starting', at: null, intervalMs: 1000, fault: null, gpus: [] }

/** A core whose state the test sets with `set()`; `calls` lists the actions the shell ran, as `procedure:input`. */
export function testCore(initial: Partial<TestCoreState> = {}) {
  const state: TestCoreState = {
    gpus: noGpus,
    deployments: [],
    gateway: gatewayStatus(),
    webui: webuiStatus('absent'),
    jobs: [],
    ...initial,
  }
  const changed = new Publisher<keyof TestCoreState>()
  const calls: string[] = []
  const failing = new Set<string>()
  const act = (name: string, input: unknown) => {
    calls.push(`${name}:${JSON.stringify(input)}`)
    if (failing.has(name)) throw new Error(`${name} failed: the test said so`)
  }

  async function* follow<T>(key: keyof TestCoreState, view: () => T, signal?: AbortSignal): AsyncGenerator<T> {
    yield view()
    for await (const k of changed.stream(signal)) if (k === key) yield view()
  }

  const router = {
    gpu: { watch: base.gpu.watch.handler(({ signal }) => follow('gpus', () => state.gpus, signal)) },
    deployments: {
      watch: base.deployments.watch.handler(({ signal }) =>
        follow('deployments', (): DeploymentEvent => ({ type: 'snapshot', deployments: state.deployments, orphans: [] }), signal),
      ),
      start: base.deployments.start.handler(({ input }) => (act('deployments.start', input), job('dj', 'queued', 'deployment.deploy'))),
      stop: base.deployments.stop.handler(({ input }) => (act('deployments.stop', input), job('dj', 'queued', 'deployment.stop'))),
    },
    gateway: {
      watch: base.gateway.watch.handler(({ signal }) => follow('gateway', () => state.gateway, signal)),
      load: base.gateway.load.handler(({ input }) => (act('gateway.load', input), { ok: true as const })),
      unload: base.gateway.unload.handler(({ input }) => (act('gateway.unload', input), { ok: true as const })),
    },
    webui: {
      watch: base.webui.watch.handler(({ signal }) => follow('webui', () => state.webui, signal)),
      deploy: base.webui.deploy.handler(({ input }) => (act('webui.deploy', input), job('wj', 'queued', 'webui.deploy'))),
    },
    jobs: {
      watch: base.jobs.watch.handler(({ signal }) => follow('jobs', (): JobEvent => ({ type: 'snapshot', jobs: state.jobs }), signal)),
      pause: base.jobs.pause.handler(({ input }) => (act('jobs.pause', input), job(input.id, 'paused'))),
      resume: base.jobs.resume.handler(({ input }) => (act('jobs.resume', input), job(input.id, 'running'))),
    },
  } as unknown as AppRouter

  return {
    router,
    calls,
    /** Make an action throw (e.g. 'gateway.load'). */
    fail: (name: string) => failing.add(name),
    set<K extends keyof TestCoreState>(key: K, value: TestCoreState[K]): void {
      state[key] = value
      changed.publish(key)
    },
  }
}
