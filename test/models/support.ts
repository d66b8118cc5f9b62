import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, lstatSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Conf from 'conf'
import type { Job, JobState } from '../../src/shared/contract/jobs'
import { JobService } from '../../src/main/core/jobs/job-service'
import { silentLogger } from '../../src/main/core/logging/logger'
import { ModelService, type InUseCheck, type ModelServiceOptions } from '../../src/main/core/models/model-service'
import { fileModeCodec } from '../../src/main/core/settings/backend'
import { defaultSettings } from '../../src/main/core/settings/defaults'
import { SecretStore } from '../../src/main/core/settings/secrets'
import { SettingsService } from '../../src/main/core/settings/settings-service'
import { CpuPool } from '../../src/main/core/workers/cpu-pool'
import { IoLimiter } from '../../src/main/core/workers/io-limiter'
import type { BlobFetcher } from '../../src/main/core/models/transfer'
import { TransferThread, transferWorkerBeside, type WorkerEntry } from '../../src/main/core/models/transfer-thread'

export const TINY = 'inferadmin-sim/tiny-chat'
export const GATED = 'inferadmin-sim/tiny-gated'
export const FAST_RETRY = { attempts: 6, baseMs: 50, maxMs: 400, maxRateLimitWaitMs: 5000 }

export interface Store {
  home: string
  store: string
  settings: SettingsService
  secrets: SecretStore
  jobs: JobService
  models: ModelService
  cpu: CpuPool
  io: IoLimiter
  waitJob(id: string, states: JobState[], timeoutMs?: number): Promise<Job>
  /** Which deployments serve a revision now (the `inUse` the composition root wires to the deployment service). */
  setInUse(check: InUseCheck): void
  /** Which deployment definitions name a repo (the \`namedBy\` the composition root wires). */
  setNamedBy(names: (repo: string) => string[]): void
  dispose(): Promise<void>
}

/** The real services (settings, secrets, CPU pool, I/O limiter, jobs, model store) on a temp dir. */
export async function makeStore(
  hubUrl: string,
  opts: {
    home?: string
    store?: string
    tuning?: Partial<ModelServiceOptions>
    /** The transfer thread's entry (default: the source, through tsx). */
    transferWorker?: WorkerEntry
    /** A transfer thread that outlives the store, as the app's does its downloads (not disposed with it). */
    transfers?: BlobFetcher
  } = {},
): Promise<Store> {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'inferadmin-models-'))
  const store = opts.store ?? join(home, 'hub')
  const logger = silentLogger()
  const secrets = new SecretStore(home, fileModeCodec, logger)
  const paths = { configDir: home, dataDir: home }
  const settings = new SettingsService({
    openFile: () =>
      new Conf<Record<string, unknown>>({ cwd: home, configName: 'settings', projectName: 'inferadmin', clearInvalidConfig: false }),
    filePath: join(home, 'settings.json'),
    secrets,
    defaults: { ...defaultSettings(paths, { INFERADMIN_HOME: home }), modelStores: [{ path: store, label: 'Test' }], hubEndpoint: hubUrl },
    logger,
  })
  const cpu = new CpuPool({ workerFile: new URL('../../src/main/core/workers/pool-worker.js', import.meta.url).pathname, size: 2, logger })
  const io = new IoLimiter(8)
  const own = opts.transfers ? undefined : new TransferThread({ entry: opts.transferWorker ?? transferWorkerBeside(undefined), io, logger })
  const transfers = opts.transfers ?? (own as TransferThread)
  const jobs = new JobService({ dir: join(home, 'jobs'), logger })
  let inUse: InUseCheck = () => []
  let namedBy = (_repo: string): string[] => []
  const models = new ModelService({
    inUse: (repo, commit) => inUse(repo, commit),
    namedBy: (repo) => namedBy(repo),
    settings,
    secrets,
    jobs,
    io,
    transfers,
    logger,
    dataDir: home,
    env: {},
    retry: FAST_RETRY,
    stallMs: 1500,
    // tiny-chat's 6 MiB shard is written with O_DIRECT (its aligned 4 MiB, then its tail through the page cache)
    directBytes: 1 << 20,
    ...opts.tuning,
  })
  await jobs.restore()
  const waitJob = (id: string, states: JobState[], timeoutMs = 60_000): Promise<Job> =>
    new Promise((resolve, reject) => {
      const check = (j: Job): boolean => {
        if (j.id !== id || !states.includes(j.state)) return false
        clearTimeout(timer)
        sub.dispose()
        resolve(j)
        return true
      }
      const timer = setTimeout(() => {
        sub.dispose()
        reject(new Error(`job ${id} not in ${states.join('|')} within ${timeoutMs} ms; it is ${JSON.stringify(jobs.get(id))}`))
      }, timeoutMs)
      const sub = jobs.onUpdate((j) => void check(j))
      check(jobs.get(id))
    })
  return {
    setInUse: (check) => void (inUse = check),
    setNamedBy: (names) => void (namedBy = names),
    home,
    store,
    settings,
    secrets,
    jobs,
    models,
    cpu,
    io,
    waitJob,
    async dispose() {
      await jobs.dispose()
      await own?.dispose()
      await io.close(1000)
      await cpu.close(1000)
    },
  }
}

/** Every file under `dir` (relative paths), symlinks included. */
export function walk(dir: string, prefix = ''): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const full = join(dir, name)
    const st = lstatSync(full)
    if (st.isDirectory()) out.push(...walk(full, `${prefix}${name}/`))
    else out.push(`${prefix}${name}`)
  }
  return out
}

export const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')
export const linkOf = (path: string): string => readlinkSync(path)

/** Polls `cond` until true or the deadline. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** The declared error a promise rejects with (fails the test when it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string; data: { fix: string } }> {
  try {
    await p
  } catch (err) {
    return err as { code: string; message: string; data: { fix: string } }
  }
  throw new Error('expected the call to fail')
}
