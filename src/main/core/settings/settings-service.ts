import { copyFileSync, existsSync, renameSync } from 'node:fs'
import { homedir } from 'node:os'
import type { Logger } from 'pino'
import { checkDefaultStore, Settings, type SettingsUpdate, type SettingsView } from '../../../shared/settings'
import { AppError } from '../errors'
import { Publisher, type Disposable } from '../events/publisher'
import type { KeyValueFile, KeyValueFileFactory } from './backend'
import { hubOrigin } from './hub'
import { fieldErrors, summarizeFields } from './issues'
import type { SecretStore } from './secrets'
import { storeLocationErrors } from './store-locations'

export type SettingsListener = (next: Settings, prev: Settings) => void

export interface SettingsServiceDeps {
  openFile: KeyValueFileFactory
  /** Where the file lives (to back it up when it cannot even be opened). */
  filePath: string
  secrets: SecretStore
  defaults: Settings
  logger: Logger
  /** The user's home folder (it may not be a store location); default: os.homedir(). */
  home?: string
  /** For HF_ENDPOINT (the Hub when Settings.hubEndpoint is empty); default process.env. */
  env?: NodeJS.ProcessEnv
}

/**
 * Owns the settings file. A corrupt or invalid file never crashes the app: it is backed up, the wrong
 * fields fall back to their defaults (the rest is kept), and the problems are reported to the UI.
 */
export class SettingsService {
  private file!: KeyValueFile
  private current!: Settings
  private problems: { field: string; message: string }[] = []
  private readonly changes: Publisher<{ next: Settings; prev: Settings }>

  constructor(private readonly deps: SettingsServiceDeps) {
    this.changes = new Publisher({ onListenerError: (err) => deps.logger.error({ err }, 'settings listener failed') })
    this.load()
    // One Hugging Face token per Hub: changing hubEndpoint (or HF_ENDPOINT) never hands the old Hub's token out.
    const env = deps.env ?? process.env
    deps.secrets.scopeBy('hfToken', () => hubOrigin(this.current, env))
  }

  private get home(): string {
    return this.deps.home ?? homedir()
  }

  get(): Settings {
    return structuredClone(this.current)
  }

  view(): SettingsView {
    return {
      settings: this.get(),
      hfToken: { set: this.deps.secrets.has('hfToken') },
      hfTokenHubs: this.hfTokenHubs(),
      loadProblems: [...this.problems],
      configPath: this.file.path,
    }
  }

  private hfTokenHubs(): SettingsView['hfTokenHubs'] {
    const hub = this.deps.secrets.scopeOf('hfToken') ?? ''
    return { hub, otherHubs: this.deps.secrets.savedScopes('hfToken').filter((h) => h !== hub) }
  }

  /** Validates the whole result first; on any invalid field nothing is saved. */
  update(patch: SettingsUpdate): SettingsView {
    const { hfToken, ...rest } = patch
    const candidate = { ...this.current, ...rest }
    const parsed = Settings.safeParse(candidate)
    // store locations are checked against the disk only when they change (a link could move later)
    const stores = parsed.success && rest.modelStores ? storeLocationErrors(parsed.data.modelStores, this.home) : {}
    if (!parsed.success || Object.keys(stores).length > 0) {
      const fields = parsed.success ? stores : fieldErrors(parsed.error.issues)
      throw new AppError('BAD_REQUEST', `Invalid settings — ${summarizeFields(fields)}`, {
        fix: 'Correct the named field(s) and save again; nothing was saved.',
        fields,
      })
    }
    const prev = this.current
    this.current = parsed.data
    this.file.store = { ...parsed.data }
    // After the settings: a token sent with a new hubEndpoint is that Hub's.
    if (hfToken !== undefined) this.deps.secrets.set('hfToken', hfToken)
    this.problems = []
    this.deps.logger.info({ changed: Object.keys(rest) }, 'settings saved')
    this.changes.publish({ next: this.get(), prev })
    return this.view()
  }

  /** Called with (next, prev) after every successful save. */
  onChange(listener: SettingsListener): Disposable {
    return this.changes.subscribe(({ next, prev }) => listener(next, prev))
  }

  private load(): void {
    const { logger, defaults } = this.deps
    try {
      this.file = this.deps.openFile()
    } catch (err) {
      const backup = backupFile(this.deps.filePath, 'corrupt', true)
      this.problems.push({
        field: '(file)',
        message: `the settings file could not be read (${(err as Error).message}); ${backup ? `it was moved to ${backup} and ` : ''}defaults are used`,
      })
      logger.warn({ err: (err as Error).message, backup }, 'settings file unreadable, using defaults')
      this.file = this.deps.openFile()
    }
    // Keys missing from the file (older versions, hand edits) quietly take their defaults.
    const raw: Record<string, unknown> = { ...defaults, ...this.file.store }
    if (Object.keys(this.file.store).length === 0) {
      this.current = structuredClone(defaults)
      this.file.store = { ...this.current }
      return
    }
    const parsed = Settings.safeParse(raw)
    const stores = parsed.success ? storeLocationErrors(parsed.data.modelStores, this.home) : {}
    if (parsed.success && Object.keys(stores).length === 0) {
      this.current = parsed.data
      return
    }
    const fields = parsed.success ? stores : fieldErrors(parsed.error.issues)
    const backup = backupFile(this.file.path, 'invalid', false)
    const repaired: Record<string, unknown> = { ...defaults }
    for (const [k, v] of Object.entries(raw)) {
      if (k in defaults && !Object.keys(fields).some((f) => f === k || f.startsWith(`${k}.`))) repaired[k] = v
    }
    const second = Settings.safeParse(repaired)
    this.current = second.success ? second.data : structuredClone(defaults)
    if (checkDefaultStore(this.current)) this.current.defaultStore = 0
    for (const [field, message] of Object.entries(fields)) {
      this.problems.push({ field, message: `${message} — backed up to ${backup}; the default is used` })
    }
    logger.warn({ fields, backup }, 'invalid settings fields replaced by defaults')
    this.file.store = { ...this.current }
  }
}

function backupFile(path: string, tag: string, move: boolean): string | undefined {
  if (!existsSync(path)) return undefined
  const backup = `${path}.${tag}-${new Date().toISOString().replace(/[:.]/g, '-')}`
  if (move) renameSync(path, backup)
  else copyFileSync(path, backup)
  return backup
}
