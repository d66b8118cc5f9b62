import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute } from 'node:path'
import { HIDDEN_FLAG } from './autostart'
import { modelRows, type TrayInput } from './tray-menu'

/** The shell's decisions on close, quit and start (issue #17 points 2 and 5), as plain functions. */

/** The desktop preferences in Settings, read defensively: a field the settings do not (yet) have is off. */
export interface DesktopPrefs {
  /** "Start InferAdmin when I log in". */
  autostart: boolean
  /** "Start minimised to the tray". */
  startMinimised: boolean
}

export function desktopPrefs(settings: unknown): DesktopPrefs {
  const s = (typeof settings === 'object' && settings !== null ? settings : {}) as Record<string, unknown>
  return { autostart: s.autostart === true, startMinimised: s.startMinimised === true }
}

/** No window at start, only the tray: started by the login session with --hidden, or "Start minimised" is on. */
export function startsHidden(argv: readonly string[], prefs: DesktopPrefs): boolean {
  return argv.includes(HIDDEN_FLAG) || prefs.startMinimised
}

/** Closing the window hides it while the tray is there to bring it back; otherwise (or when quitting) it closes. */
export function hidesOnClose(state: { quitting: boolean; trayAlive: boolean }): boolean {
  return !state.quitting && state.trayAlive
}

export const CLOSED_TO_TRAY_NOTICE = {
  title: 'InferAdmin is still running in the tray',
  body: 'Your models keep serving. Open InferAdmin from its tray icon, or launch it again; Quit is in the tray menu.',
} as const

/** The names of the models that are loaded or loading (they keep running after a quit). */
export function runningModels(input: TrayInput): string[] {
  return modelRows(input)
    .filter((r) => r.phase === 'serving' || r.phase === 'loading')
    .map((r) => r.name)
}

export interface QuitConfirmation {
  type: 'question'
  title: string
  message: string
  detail: string
  buttons: [string, string]
  defaultId: 0
  cancelId: 1
}

/** The question before a quit the user asked for, or null when no model runs (quit at once). Button 0 quits. */
export function quitConfirmation(input: TrayInput): QuitConfirmation | null {
  const names = runningModels(input)
  if (names.length === 0) return null
  const list = names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`
  const n = names.length === 1 ? '1 model is' : `${names.length} models are`
  return {
    type: 'question',
    title: 'Quit InferAdmin',
    message: `Quit InferAdmin? ${n} loaded.`,
    detail:
      `${list} keep${names.length === 1 ? 's' : ''} running in Docker after you quit and keep${names.length === 1 ? 's' : ''} ` +
      'serving requests. InferAdmin takes them over again the next time it starts; stop them first if you want the GPU memory back.',
    buttons: ['Quit', 'Cancel'],
    defaultId: 0,
    cancelId: 1,
  }
}

/** A fact remembered across starts in a small file (e.g. "the closed-to-tray notice was shown"). */
export class OnceFlag {
  constructor(private readonly file: string) {
    if (!isAbsolute(file)) throw new Error(`The flag file path must be absolute (got ${file})`)
  }

  async isSet(): Promise<boolean> {
    try {
      await readFile(this.file)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
  }

  async set(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true })
    await writeFile(this.file, `${new Date().toISOString()}\n`)
  }
}
