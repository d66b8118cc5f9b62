import type { ShellLogger } from './logger'
import { isExternalWebUrl } from './origin'
import type { TrayAction } from './tray-menu'

/**
 * What each tray item does: a fixed internal call per action (Electron security checklist #15: no URL from a label
 * reaches the system unchecked). The core calls go through its own router; the desktop effects are injected.
 */

/** The core calls the tray makes (a subset of the router client). */
export interface TrayCore {
  gateway: {
    load(input: { name: string }): Promise<unknown>
    unload(input: { name: string }): Promise<unknown>
  }
  deployments: {
    start(input: { id: string }): Promise<unknown>
    stop(input: { id: string }): Promise<unknown>
  }
  webui: { deploy(input: Record<string, never>): Promise<unknown> }
  jobs: {
    pause(input: { id: string }): Promise<unknown>
    resume(input: { id: string }): Promise<unknown>
  }
}

export interface TrayEffects {
  openWindow(route: string): void
  /** The quit the user asked for (it may ask for confirmation). */
  requestQuit(): void
  copyText(text: string): void
  openExternal(url: string): Promise<void>
}

/** A loopback or LAN http(s) URL the core reported (Open WebUI, the gateway); anything else is refused. */
function checkedUrl(url: string): string {
  if (!isExternalWebUrl(url)) throw new Error(`refusing to open ${JSON.stringify(url)}: only http(s) URLs are opened`)
  return url
}

async function perform(action: TrayAction, core: TrayCore, fx: TrayEffects): Promise<void> {
  switch (action.type) {
    case 'gateway.load':
      return void (await core.gateway.load({ name: action.name }))
    case 'gateway.unload':
      return void (await core.gateway.unload({ name: action.name }))
    case 'deployment.start':
      return void (await core.deployments.start({ id: action.id }))
    case 'deployment.stop':
      return void (await core.deployments.stop({ id: action.id }))
    case 'webui.deploy':
      return void (await core.webui.deploy({}))
    case 'webui.open':
      return fx.openExternal(checkedUrl(action.url))
    case 'gateway.copy-url':
      return fx.copyText(checkedUrl(action.url))
    case 'window.open':
      return fx.openWindow(action.route)
    case 'downloads.pause':
      return void (await Promise.all(action.jobIds.map((id) => core.jobs.pause({ id }))))
    case 'downloads.resume':
      return void (await Promise.all(action.jobIds.map((id) => core.jobs.resume({ id }))))
    case 'quit':
      return fx.requestQuit()
  }
}

/**
 * Runs a tray action. A failure is logged and handed to `onError` (the shell shows it as a notification whose click
 * opens the page concerned): a menu click has no other place to show it.
 */
export async function runTrayAction(
  action: TrayAction,
  core: TrayCore,
  fx: TrayEffects,
  logger: ShellLogger,
  onError: (message: string, action: TrayAction) => void,
): Promise<void> {
  try {
    await perform(action, core, fx)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    logger.warn({ action: action.type, err: message }, 'tray action failed')
    onError(message, action)
  }
}
