import { RPC_PORT_CHANNEL } from '../shared/ipc'

/** What the page may read: nothing callable, nothing Electron. */
export interface ExposedInfo {
  readonly platform: string
  readonly version: string
}

/** A window 'message' event; `Port` is the renderer's MessagePort (kept generic: no DOM types here). */
export interface PortMessage<Port> {
  readonly data: unknown
  readonly source: unknown
  readonly ports: readonly Port[]
}

export interface PreloadWindow<Port> {
  addEventListener(type: 'message', listener: (event: PortMessage<Port>) => void): void
}

export interface PreloadDeps<Port> {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void }
  ipcRenderer: { postMessage(channel: string, message: unknown, transfer?: Port[]): void }
  window: PreloadWindow<Port>
  info: ExposedInfo
}

/**
 * The whole preload: expose a frozen {platform, version} as `window.inferadmin`, and forward exactly one
 * kind of message — the page posting RPC_PORT_CHANNEL to itself with one MessagePort — to the main
 * process. ipcRenderer itself never reaches the page.
 */
export function installPreload<Port>(deps: PreloadDeps<Port>): void {
  const info: ExposedInfo = Object.freeze({ platform: deps.info.platform, version: deps.info.version })
  deps.contextBridge.exposeInMainWorld('inferadmin', info)
  deps.window.addEventListener('message', (event) => {
    // Only the page itself (not a subframe or another window) and only the port handover message.
    if (event.source !== deps.window || event.data !== RPC_PORT_CHANNEL) return
    const port = event.ports[0]
    if (event.ports.length !== 1 || !port) return
    deps.ipcRenderer.postMessage(RPC_PORT_CHANNEL, null, [port])
  })
}
