import Conf from 'conf'
import { createCore, type Core, type CoreOptions } from './create-core'
import { silentLogger } from './logging/logger'
import { fileModeCodec } from './settings/backend'
import { SOURCE_WORKER_FILE } from './workers/worker-file'

/** A real core in `dir` for tests: conf settings file, plain secrets, the source worker, no log output. */
export function createTestCore(dir: string, overrides: Partial<CoreOptions> = {}): Promise<Core> {
  return createCore({
    mode: 'headless',
    version: '0.0.0-test',
    paths: { configDir: dir, dataDir: dir },
    openSettingsFile: () =>
      new Conf<Record<string, unknown>>({ cwd: dir, configName: 'settings', projectName: 'inferadmin', clearInvalidConfig: false }),
    secretCodec: fileModeCodec,
    workerFile: SOURCE_WORKER_FILE,
    env: { INFERADMIN_HOME: dir },
    logger: silentLogger(),
    ...overrides,
  })
}
