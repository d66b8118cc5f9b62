import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron'
import { throttle, type Throttled } from './throttle'
import { trayIconKey, trayIconPng, type TrayIconInput } from './tray-icon'
import { buildTrayView, toTemplate, type TrayAction, type TrayInput } from './tray-menu'

/**
 * The tray (issue #17 point 1), Electron glue only: the menu is `buildTrayView` of the core state, rebuilt at most
 * once a second and set again after each change (Linux does not see changes to a menu already set); the icon is
 * set only when what it draws changes (each setImage writes a temp file on GNOME); the tooltip only when it changes
 * (each call re-sends the whole menu over D-Bus). One Tray per session, kept referenced until `destroy()`.
 */

export interface DesktopTrayOptions {
  /** The state now (read at each rebuild). */
  input(): TrayInput
  run(action: TrayAction): void
  /** A click on the icon (SNI Activate; a double click on GNOME). */
  activate(): void
  /** Minimum time between two menu rebuilds (default 1000 ms). */
  rebuildMs?: number
}

const ICON_PX = 32

export function trayIconInput(input: TrayInput, state: TrayIconInput['state']): TrayIconInput {
  const vram = (input.gpus?.gpus ?? []).map((g) =>
    g.memoryUsedMiB !== null && g.memoryTotalMiB !== null && g.memoryTotalMiB > 0 ? g.memoryUsedMiB / g.memoryTotalMiB : null,
  )
  return { state, vram }
}

export class DesktopTray {
  private tray: Tray | null
  private iconKey = ''
  private tooltip: string | null = null
  private readonly rebuild: Throttled

  /** Creates the tray (call after app `ready`) with the current state. */
  constructor(private readonly o: DesktopTrayOptions) {
    const view = buildTrayView(o.input())
    const icon = trayIconInput(o.input(), view.icon)
    this.tray = new Tray(nativeImage.createFromBuffer(trayIconPng(icon, ICON_PX)))
    this.iconKey = trayIconKey(icon)
    this.tray.on('click', () => o.activate())
    this.rebuild = throttle(() => this.render(), o.rebuildMs ?? 1000)
    this.rebuild()
  }

  /** True until destroyed: while it is, closing the window hides it. */
  get alive(): boolean {
    return this.tray !== null && !this.tray.isDestroyed()
  }

  /** The core state changed: rebuild (throttled). */
  changed(): void {
    this.rebuild()
  }

  destroy(): void {
    this.rebuild.cancel()
    if (this.tray && !this.tray.isDestroyed()) this.tray.destroy()
    this.tray = null
  }

  private render(): void {
    const tray = this.tray
    if (!tray || tray.isDestroyed()) return
    const input = this.o.input()
    const view = buildTrayView(input)
    const template = toTemplate(view.items, (action) => this.o.run(action)) as MenuItemConstructorOptions[]
    tray.setContextMenu(Menu.buildFromTemplate(template))
    const icon = trayIconInput(input, view.icon)
    const key = trayIconKey(icon)
    if (key !== this.iconKey) {
      tray.setImage(nativeImage.createFromBuffer(trayIconPng(icon, ICON_PX)))
      this.iconKey = key
    }
    if (view.tooltip !== this.tooltip) {
      tray.setToolTip(view.tooltip)
      this.tooltip = view.tooltip
    }
  }
}
