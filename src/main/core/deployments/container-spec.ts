import type Dockerode from 'dockerode'
import type { DeploymentDefinition } from '../../../shared/contract/deployments'

export const CONTAINER_PORT = 8000
export const HF_CACHE_IN_CONTAINER = '/root/.cache/huggingface/hub'

export const LABEL = {
  managed: 'inferadmin.managed',
  kind: 'inferadmin.kind',
  deployment: 'inferadmin.deployment',
  name: 'inferadmin.deployment.name',
  model: 'inferadmin.model',
  revision: 'inferadmin.revision',
  port: 'inferadmin.port',
} as const

export function containerName(def: Pick<DeploymentDefinition, 'id' | 'name'>): string {
  const slug =
    def.name
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'deployment'
  return `inferadmin-${slug}-${def.id.slice(0, 8)}`
}

export interface SpecInput {
  def: DeploymentDefinition
  /** vLLM arguments after --model (validated). */
  argv: string[]
  /** Store location holding the model (an HF hub cache directory). */
  storePath: string
  commit: string
  hostPort: number
  listenInterface: string
  /** The image declares its own HEALTHCHECK. */
  imageHasHealthcheck: boolean
  /** /dev/shm of the container (bytes, from Settings.vllmShmSize); unused when the deployment opts into host IPC. */
  shmSizeBytes: number
}

const SEC = 1_000_000_000

/**
 * The create call of a deployment's container: labels, read-only HF cache, offline hub, --model org/name
 * (works for both entrypoint styles), a private /dev/shm of the set size (host IPC only when the deployment opts in:
 * vLLM's Docker docs accept either, see Settings.vllmShmSize), GPUs by UUID, a /health HEALTHCHECK when the image has
 * none, the container port published on the configured interface.
 */
export function containerSpec(o: SpecInput): Dockerode.ContainerCreateOptions {
  const { def } = o
  const tp = def.tensorParallelSize ?? Math.max(1, def.gpus.length)
  const cmd = ['--model', def.model.repo]
  if (def.model.revision !== 'main') cmd.push('--revision', o.commit)
  if (tp > 1 || def.tensorParallelSize !== undefined) cmd.push('--tensor-parallel-size', String(tp))
  cmd.push(...o.argv)
  const env = Object.entries({ ...def.env, HF_HUB_OFFLINE: '1' }).map(([k, v]) => `${k}=${v}`)
  const portKey = `${CONTAINER_PORT}/tcp`
  return {
    name: containerName(def),
    Image: def.image,
    Cmd: cmd,
    Env: env,
    Labels: {
      [LABEL.managed]: 'true',
      [LABEL.kind]: 'vllm',
      [LABEL.deployment]: def.id,
      [LABEL.name]: def.name,
      [LABEL.model]: def.model.repo,
      [LABEL.revision]: o.commit,
      [LABEL.port]: String(o.hostPort),
    },
    ExposedPorts: { [portKey]: {} },
    ...(o.imageHasHealthcheck
      ? {}
      : {
          Healthcheck: {
            Test: [
              'CMD-SHELL',
              `python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${CONTAINER_PORT}/health', timeout=4)" || curl -fsS http://127.0.0.1:${CONTAINER_PORT}/health`,
            ],
            Interval: 5 * SEC,
            Timeout: 5 * SEC,
            Retries: 3,
            StartPeriod: 1800 * SEC,
            StartInterval: 2 * SEC,
          },
        }),
    HostConfig: {
      Binds: [`${o.storePath}:${HF_CACHE_IN_CONTAINER}:ro`],
      ...(def.ipcHost ? { IpcMode: 'host' } : { ShmSize: o.shmSizeBytes }),
      PortBindings: { [portKey]: [{ HostIp: o.listenInterface, HostPort: String(o.hostPort) }] },
      RestartPolicy:
        def.restartPolicy === 'on-failure'
          ? { Name: 'on-failure', MaximumRetryCount: 3 }
          : { Name: def.restartPolicy === 'no' ? '' : def.restartPolicy },
      DeviceRequests: def.gpus.length ? [{ Driver: '', Count: 0, DeviceIDs: def.gpus, Capabilities: [['gpu']], Options: {} }] : [],
    },
  }
}

/** Our containers of a deployment, oldest first. */
export async function containersOf(docker: Dockerode, id: string): Promise<Dockerode.ContainerInfo[]> {
  const filters = JSON.stringify({ label: [`${LABEL.deployment}=${id}`, `${LABEL.kind}=vllm`] })
  const list = await docker.listContainers({ all: true, filters })
  return list.sort((a, b) => a.Created - b.Created)
}
