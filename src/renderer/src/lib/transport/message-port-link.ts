import type { ClientContext } from '@orpc/client'
import { RPCLink } from '@orpc/client/message-port'
import { RPC_PORT_CHANNEL } from '@shared/ipc'
import { connectionControl } from '../connection'

/**
 * Electron: hand one end of a fresh MessageChannel to the preload (which forwards it to the main
 * process) and talk oRPC over the other end. The main process checks the sender frame.
 */
export function createMessagePortLink<T extends ClientContext>(): RPCLink<T> {
  const { port1, port2 } = new MessageChannel()
  window.postMessage(RPC_PORT_CHANNEL, '*', [port2])
  const link = new RPCLink<T>({ port: port1 })
  port1.start()
  connectionControl.setTransport('message-port')
  connectionControl.connected()
  return link
}
