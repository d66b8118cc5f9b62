import { homedir } from 'node:os'
import type { Logger } from 'pino'
import type { DoctorCheck, DoctorReport, GpuDryRunResult, HostInventory } from '../../../shared/contract/host'
import { dockerUnreachableText } from '../docker/errors'
import type { GpuService } from '../gpu/gpu-service'
import type { SecretStore } from '../settings/secrets'
import { hubUrl } from '../settings/hub'
import type { SettingsService } from '../settings/settings-service'
import { checkDocker, checkGpuSupport } from './checks-docker'
import { checkDisks, checkDriver, checkHfToken, cudaVersion } from './checks-local'
import type { DockerEndpoint } from '../docker/endpoint'
import { gpuDryRun } from './gpu-dry-run'
import { InventoryProbe } from './inventory'

export interface HostServiceDeps {
  settings: SettingsService
  secrets: SecretStore
  logger: Logger
  docker: DockerEndpoint
  gpu: GpuService
  smiPath: string
  env?: NodeJS.ProcessEnv
  /** Checks of other parts of the app (the gateway's port), appended to the doctor's. */
  moreChecks?: () => DoctorCheck[]
}

const RANK = { ok: 0, warn: 1, fail: 2 } as const

/** Host inventory and the doctor (each check: ok / warn / fail, detail, exact fix). */
export class HostService {
  private readonly inventoryProbe = new InventoryProbe()
  private cuda: { driver: string; value: string | null } | undefined
  /** Last successful GPU dry run per Docker endpoint (proof of GPU support where the hook is not on our PATH). */
  private readonly dryRunOk = new Map<string, string>()

  constructor(private readonly deps: HostServiceDeps) {}

  private get env(): NodeJS.ProcessEnv {
    return this.deps.env ?? process.env
  }

  inventory(): Promise<HostInventory> {
    return this.inventoryProbe.read()
  }

  hubUrl(): string {
    return hubUrl(this.deps.settings.get(), this.env)
  }

  /** Hubs other than the current one that hold a token of their own. */
  private otherHubs(): string[] {
    const current = this.deps.secrets.scopeOf('hfToken')
    return this.deps.secrets.savedScopes('hfToken').filter((h) => h !== current)
  }

  private async cudaFor(driver: string | null, signal?: AbortSignal): Promise<string | null> {
    if (!driver) return null
    if (this.cuda?.driver !== driver) this.cuda = { driver, value: await cudaVersion(this.deps.smiPath, signal) }
    return this.cuda.value
  }

  async doctor(signal?: AbortSignal): Promise<DoctorReport> {
    const settings = this.deps.settings.get()
    const snap = this.deps.gpu.snapshot()
    const [docker, disks, hf, cuda] = await Promise.all([
      this.checkDockerSafely(signal),
      checkDisks(settings.modelStores, this.env.HOME || homedir()),
      checkHfToken(this.deps.secrets.get('hfToken'), this.hubUrl(), this.otherHubs()),
      this.cudaFor(snap.gpus.find((g) => g.driverVersion)?.driverVersion ?? null, signal),
    ])
    const proven = this.dryRunOk.get(this.deps.docker.endpoint())
    const checks: DoctorCheck[] = [
      docker.check,
      await checkGpuSupport(docker.facts, this.env, proven),
      checkDriver(snap, cuda),
      ...disks,
      hf,
      ...(this.deps.moreChecks?.() ?? []),
    ]
    const status = checks.reduce<DoctorCheck['status']>((w, c) => (RANK[c.status] > RANK[w] ? c.status : w), 'ok')
    this.deps.logger.info({ status, failing: checks.filter((c) => c.status !== 'ok').map((c) => c.id) }, 'doctor ran')
    return { at: new Date().toISOString(), status, checks }
  }

  private async checkDockerSafely(signal?: AbortSignal): ReturnType<typeof checkDocker> {
    try {
      return await checkDocker(this.deps.docker.client(), this.deps.docker.endpoint(), signal)
    } catch (err) {
      // an endpoint dockerode cannot even be built for (e.g. DOCKER_HOST=ssh://…)
      const detail = `${dockerUnreachableText(err)}.`
      return {
        check: {
          id: 'docker',
          title: 'Docker',
          status: 'fail',
          detail,
          fix: 'Set Settings → Docker socket to unix:///var/run/docker.sock or tcp://host:port.',
        },
        facts: {},
      }
    }
  }

  /** The opt-in end-to-end proof: a tiny container with a GPU request. */
  async gpuDryRun(signal?: AbortSignal): Promise<GpuDryRunResult> {
    const candidates = [this.env.INFERADMIN_SIM_VLLM_IMAGE ?? '', this.deps.settings.get().vllmImageRepository]
    let endpoint: string
    let client: ReturnType<DockerEndpoint['client']>
    try {
      endpoint = this.deps.docker.endpoint()
      client = this.deps.docker.client()
    } catch (err) {
      const fix = 'Set Settings → Docker socket to unix:///var/run/docker.sock or tcp://host:port.'
      const detail = dockerUnreachableText(err)
      const nothing = { image: null, exitCode: null, output: '', durationMs: 0 }
      return { id: 'gpu-dry-run', title: 'GPU dry run', status: 'fail', detail, fix, ...nothing }
    }
    const r = await gpuDryRun(client, candidates, signal)
    if (r.status === 'ok') this.dryRunOk.set(endpoint, new Date().toLocaleTimeString())
    else if (r.status === 'fail') this.dryRunOk.delete(endpoint)
    this.deps.logger.info({ status: r.status, image: r.image, exitCode: r.exitCode }, 'GPU dry run')
    return r
  }
}
