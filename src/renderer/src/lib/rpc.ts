import { createORPCClient } from '@orpc/client'
import type { ClientLink } from '@orpc/client'
import { type ApiClient, API_PREFIX, RPC_PATH } from '@shared/contract'
import { connectionControl } from './connection'
import { createMessagePortLink } from './transport/message-port-link'
import { type AuthProbe, ReconnectingWebSocketLink } from './transport/reconnecting-websocket-link'

type Ctx = Record<never, never>

/** Asks the REST health route (same cookie) whether we are still authorised. */
const probeAuth: AuthProbe = async () => {
  try {
    const res = await fetch(`${API_PREFIX}/health`, { credentials: 'same-origin', cache: 'no-store' })
    if (res.status === 401 || res.status === 403) return 'unauthorized'
    return 'ok'
  } catch {
    return 'unreachable'
  }
}

let wsLink: ReconnectingWebSocketLink<Ctx> | null = null

function createLink(): ClientLink<Ctx> {
  // The Electron preload exposes a frozen {platform, version}; a browser has no such global.
  if (window.inferadmin) return createMessagePortLink<Ctx>()
  connectionControl.setTransport('websocket')
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  wsLink = new ReconnectingWebSocketLink<Ctx>({ url: `${scheme}://${location.host}${RPC_PATH}`, probeAuth })
  window.addEventListener('online', () => wsLink?.retryNow())
  return wsLink
}

/** The one typed client for the backend (MessagePort in Electron, WebSocket in a browser). */
export const api: ApiClient = createORPCClient<ApiClient>(createLink())

/** Reconnect now instead of waiting for the backoff (no-op in Electron). */
export function retryConnection(): void {
  wsLink?.retryNow()
}
