import { ORPCError, onError } from '@orpc/server'
import { RPCHandler } from '@orpc/server/message-port'
import { ipcMain, type IpcMainEvent, type MessagePortMain } from 'electron'
import { RPC_PORT_CHANNEL } from '../../shared/ipc'
import type { AppRouter } from '../core/router'
import type { ShellLogger } from './logger'
import type { AppOrigin } from './origin'

export interface RpcBridge {
  /** Ports currently served. */
  readonly openPorts: number
  /** Stops accepting ports and closes the open ones. */
  dispose(): void
}

export interface RpcBridgeOptions {
  router: AppRouter
  origin: AppOrigin
  logger: ShellLogger
}

/** Why a port handover is refused, or null when it comes from our own top-level renderer frame. */
export function refusalReason(event: Pick<IpcMainEvent, 'senderFrame' | 'ports'>, origin: AppOrigin): string | null {
  const frame = event.senderFrame
  if (!frame) return 'sender frame is gone'
  if (frame.parent !== null) return 'sender is a subframe'
  if (!origin.isAppUrl(frame.url)) return 'sender is not the app origin'
  if (event.ports.length !== 1) return `expected exactly one port, got ${event.ports.length}`
  return null
}

/**
 * Serves the core's router over MessagePorts handed over by the preload on RPC_PORT_CHANNEL. A port is
 * accepted only from the app's own top-level frame (`senderFrame.url`); anything else is closed and
 * logged. One port per renderer load: a reload hands over a new one and the old one closes.
 */
export function installRpcBridge(opts: RpcBridgeOptions): RpcBridge {
  const handler = new RPCHandler(opts.router, {
    interceptors: [
      onError((error: unknown) => {
        if (error instanceof ORPCError && error.defined) return
        opts.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'rpc call failed')
      }),
    ],
  })
  const open = new Set<MessagePortMain>()

  const onPort = (event: IpcMainEvent): void => {
    const reason = refusalReason(event, opts.origin)
    if (reason !== null) {
      for (const port of event.ports) port.close()
      opts.logger.warn({ url: event.senderFrame?.url ?? null, reason }, 'refused rpc port')
      return
    }
    const port = event.ports[0]
    if (!port) return
    open.add(port)
    port.on('close', () => open.delete(port))
    handler.upgrade(port, { context: { transport: 'ipc' } })
    port.start()
  }
  ipcMain.on(RPC_PORT_CHANNEL, onPort)

  return {
    get openPorts() {
      return open.size
    },
    dispose() {
      ipcMain.removeListener(RPC_PORT_CHANNEL, onPort)
      for (const port of open) port.close()
      open.clear()
    },
  }
}
