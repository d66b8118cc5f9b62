import { homedir } from 'node:os'
import { join } from 'node:path'

export interface AppPaths {
  /** Settings, secrets, server.json. */
  configDir: string
  /** Logs, job state, caches, default model store. */
  dataDir: string
}

/**
 * INFERADMIN_HOME puts everything in one directory (tests, portable installs); otherwise XDG:
 * config in ~/.config/inferadmin, data in ~/.local/share/inferadmin.
 */
export function resolvePaths(env: NodeJS.ProcessEnv = process.env): AppPaths {
  const home = env.INFERADMIN_HOME
  if (home) return { configDir: home, dataDir: home }
  const h = env.HOME || homedir()
  return {
    configDir: join(env.XDG_CONFIG_HOME || join(h, '.config'), 'inferadmin'),
    dataDir: join(env.XDG_DATA_HOME || join(h, '.local', 'share'), 'inferadmin'),
  }
}
