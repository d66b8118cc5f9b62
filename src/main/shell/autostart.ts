import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'

/**
 * "Start InferAdmin when I log in" on Linux (issue #17 point 5): an XDG autostart entry in
 * $XDG_CONFIG_HOME/autostart (default ~/.config/autostart). Electron's setLoginItemSettings does nothing on Linux.
 * AppImage: Exec is $APPIMAGE (process.execPath is inside the per-launch /tmp/.mount_* and gone after exit), so the
 * file is refreshed at every start; deb: the installed binary. Never --no-sandbox; no secrets.
 */

export const AUTOSTART_FILE = 'inferadmin.desktop'
/** The argument the shell reads to start with the tray only (no window shown). */
export const HIDDEN_FLAG = '--hidden'

export type AutostartTarget = { kind: 'appimage'; path: string } | { kind: 'installed'; path: string }

export interface AutostartOptions {
  target: AutostartTarget
  /** "Start minimised to the tray". */
  hidden: boolean
  name?: string
  icon?: string
}

/**
 * Which program the login session should start: the AppImage file when running from one, else the packaged binary.
 * Throws, naming the fix, for an unpackaged (development) Electron, which a login must not start.
 */
export function autostartTarget(env: NodeJS.ProcessEnv, execPath: string, isPackaged: boolean): AutostartTarget {
  const appImage = env.APPIMAGE
  if (appImage) {
    if (!isAbsolute(appImage)) throw new Error(`APPIMAGE is not an absolute path (${appImage}); start InferAdmin from its AppImage file`)
    return { kind: 'appimage', path: appImage }
  }
  if (!isPackaged) {
    throw new Error(`Autostart needs the installed app, not a development Electron (${execPath}); install the .deb or run the AppImage`)
  }
  return { kind: 'installed', path: execPath }
}

/** Where the entry lives: $XDG_CONFIG_HOME/autostart (an absolute XDG_CONFIG_HOME only, per the spec), else ~/.config. */
export function autostartPath(env: NodeJS.ProcessEnv, home: string): string {
  const config = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, '.config')
  return join(config, 'autostart', AUTOSTART_FILE)
}

function checkValue(what: string, value: string): string {
  if (/[\r\n\0]/.test(value))
    throw new Error(`${what} contains a line break or NUL (${JSON.stringify(value)}); move the app to a plain path`)
  return value
}

/** Desktop Entry "string" escaping (\\ for a backslash). */
function escapeString(value: string): string {
  return value.replace(/\\/g, '\\\\')
}

/** One Exec argument: quoted when it holds anything but plain path characters, `%` doubled (field codes). */
export function execArgument(arg: string): string {
  const plain = /^[A-Za-z0-9_\-./+,:=@]+$/.test(arg)
  const quoted = plain ? arg : `"${arg.replace(/(["`$\\])/g, '\\$1')}"`
  return escapeString(quoted.replace(/%/g, '%%'))
}

/** The text of ~/.config/autostart/inferadmin.desktop. */
export function autostartEntry(opts: AutostartOptions): string {
  const path = checkValue('The app path', opts.target.path)
  if (!isAbsolute(path)) throw new Error(`The app path must be absolute (got ${path}); pass process.execPath or $APPIMAGE`)
  const name = checkValue('The app name', opts.name ?? 'InferAdmin')
  const exec = [execArgument(path), ...(opts.hidden ? [HIDDEN_FLAG] : [])].join(' ')
  return [
    '[Desktop Entry]',
    'Type=Application',
    `Name=${escapeString(name)}`,
    'Comment=Local LLMs on this GPU workstation',
    `Exec=${exec}`,
    // A moved or deleted AppImage, or an uninstalled deb: the session skips the entry instead of failing.
    `TryExec=${escapeString(path)}`,
    `Icon=${checkValue('The icon name', opts.icon ?? 'inferadmin')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n')
}

export interface AutostartSettings {
  /** "Start InferAdmin when I log in". */
  enabled: boolean
  hidden: boolean
}

/** Writes or removes the entry. Call at every start (an AppImage may have moved) and on each Settings change. */
export class AutostartFile {
  private readonly path: string

  constructor(path: string) {
    if (!isAbsolute(path)) throw new Error(`The autostart file path must be absolute (got ${path}); use autostartPath()`)
    this.path = path
  }

  get file(): string {
    return this.path
  }

  /** The entry text now on disk, null when there is none. */
  async read(): Promise<string | null> {
    try {
      return await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  /** Makes the file match the settings; rewrites only when the bytes differ. Returns what it did. */
  async apply(settings: AutostartSettings, target: AutostartTarget): Promise<'written' | 'unchanged' | 'removed' | 'absent'> {
    if (!settings.enabled) {
      const had = (await this.read()) !== null
      await rm(this.path, { force: true })
      return had ? 'removed' : 'absent'
    }
    const text = autostartEntry({ target, hidden: settings.hidden })
    if ((await this.read()) === text) return 'unchanged'
    await mkdir(dirname(this.path), { recursive: true })
    await writeFile(this.path, text, { mode: 0o644 })
    return 'written'
  }
}
