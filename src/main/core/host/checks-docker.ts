import { access, constants, readdir } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import type Dockerode from 'dockerode'
import type { DoctorCheck } from '../../../shared/contract/host'
import { dockerUnreachableText } from '../docker/errors'

export const TOOLKIT_FIX =
  'Install the NVIDIA Container Toolkit and register it with Docker: `sudo apt install nvidia-container-toolkit && sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker`.'

export interface DockerFacts {
  /** GET /info (Runtimes, CDISpecDirs, …); undefined when Docker is not reachable. */
  info?: DaemonInfo
}

/** The parts of GET /info the GPU check reads. */
export interface DaemonInfo {
  Runtimes?: Record<string, unknown>
  DefaultRuntime?: string
  CDISpecDirs?: string[]
}

const DOCKER_TIMEOUT_MS = 5000

function withTimeout<T>(p: Promise<T>, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${DOCKER_TIMEOUT_MS / 1000} s`)), DOCKER_TIMEOUT_MS)
    const onAbort = (): void => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
    signal?.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    })
  })
}

function dockerFix(endpoint: string): string {
  return endpoint.startsWith('unix://')
    ? `Start Docker (\`sudo systemctl start docker\`) and let this user use it (\`sudo usermod -aG docker $USER\`, then log in again), or set Settings → Docker socket to the right endpoint (now ${endpoint}).`
    : `Check that Docker listens at ${endpoint}, or set Settings → Docker socket to the right endpoint.`
}

/** Docker reachable: ping, version and API version. */
export async function checkDocker(
  docker: Dockerode,
  endpoint: string,
  signal?: AbortSignal,
): Promise<{ check: DoctorCheck; facts: DockerFacts }> {
  const title = 'Docker'
  try {
    const version = await withTimeout(docker.version(), 'Docker', signal)
    const info = (await withTimeout(docker.info() as Promise<unknown>, 'Docker', signal)) as DaemonInfo
    return {
      check: {
        id: 'docker',
        title,
        status: 'ok',
        detail: `Docker ${version.Version} (API ${version.ApiVersion}) at ${endpoint}`,
        fix: null,
      },
      facts: { info },
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { statusCode?: number }
    const why =
      e.code === 'ENOENT'
        ? `no Docker socket at ${endpoint}`
        : e.code === 'EACCES'
          ? `permission denied on ${endpoint}`
          : e.code === 'ECONNREFUSED'
            ? `nothing accepts connections at ${endpoint}`
            : `${e.message} (${endpoint})`
    return { check: { id: 'docker', title, status: 'fail', detail: `${dockerUnreachableText(why)}.`, fix: dockerFix(endpoint) }, facts: {} }
  }
}

/** First executable named `name` on PATH plus the toolkit's usual directories. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin', '/usr/sbin'].filter(Boolean)
  for (const dir of new Set(dirs)) {
    const file = join(dir, name)
    try {
      await access(file, constants.X_OK)
      return file
    } catch {
      // not here
    }
  }
  return null
}

async function nvidiaCdiSpecs(dirs: string[]): Promise<string[]> {
  const found: string[] = []
  for (const dir of dirs) {
    try {
      for (const f of await readdir(dir)) if (/nvidia.*\.(ya?ml|json)$/i.test(f)) found.push(join(dir, f))
    } catch {
      // missing dir: nothing there
    }
  }
  return found
}

/**
 * NVIDIA GPU support in Docker: the daemon's `nvidia` runtime, NVIDIA CDI specs, or the
 * nvidia-container-runtime-hook that `--gpus` uses. The robust proof is the opt-in dry run.
 */
export async function checkGpuSupport(facts: DockerFacts, env: NodeJS.ProcessEnv = process.env, provenAt?: string): Promise<DoctorCheck> {
  const title = 'NVIDIA GPU support in Docker'
  const hookName = 'nvidia-container-runtime-hook'
  const hook = env.INFERADMIN_NVIDIA_HOOK?.trim() || (await findOnPath(hookName, env))
  const found: string[] = []
  if (hook) found.push(`${hookName} at ${hook}`)
  const info = facts.info
  if (info) {
    const runtimes = Object.keys(info.Runtimes ?? {})
    if (runtimes.includes('nvidia')) found.push('daemon runtime "nvidia"')
    const specs = await nvidiaCdiSpecs(info.CDISpecDirs ?? ['/etc/cdi', '/var/run/cdi'])
    if (specs.length > 0) found.push(`CDI spec ${specs.join(', ')}`)
    if (found.length === 0 && provenAt) {
      return {
        id: 'gpu-docker',
        title,
        status: 'ok',
        detail: `The GPU dry run at ${provenAt} started a container with a GPU (runtimes: ${runtimes.join(', ') || 'none'}; ${hookName} is on the daemon's PATH, not this app's).`,
        fix: null,
      }
    }
    if (found.length > 0) {
      return {
        id: 'gpu-docker',
        title,
        status: 'ok',
        detail: `Found ${found.join('; ')} (runtimes: ${runtimes.join(', ') || 'none'}). Run the GPU dry run to prove it end to end.`,
        fix: null,
      }
    }
    return {
      id: 'gpu-docker',
      title,
      status: 'fail',
      detail: `Docker has no NVIDIA runtime (runtimes: ${runtimes.join(', ') || 'none'}), no NVIDIA CDI spec, and ${hookName} is not on PATH — containers cannot get a GPU ("could not select device driver").`,
      fix: TOOLKIT_FIX,
    }
  }
  return {
    id: 'gpu-docker',
    title,
    status: hook ? 'warn' : 'fail',
    detail: `${dockerUnreachableText('its runtimes could not be read')}; ${hook ? `${hookName} found at ${hook}` : `${hookName} is not on PATH`}.`,
    fix: hook ? 'Fix the Docker check first, then run the doctor again.' : TOOLKIT_FIX,
  }
}
