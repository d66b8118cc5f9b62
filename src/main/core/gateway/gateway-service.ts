/**
 * The gateway's public face for the rest of the core (other domains import only this file, see
 * .dependency-cruiser.cjs): the server, the keys, the backend interface create-core adapts the deployments to, and
 * nameClaims for refusing a definition whose served name or alias another one claims.
 */
export { backendNames, primaryName, publicState } from './backends'
export type { BackendState, GatewayBackend, GatewayBackends, PublicModelState, ServeMode } from './backends'
export { GatewayServer } from './gateway-server'
export type { GatewayDeps, GatewayModelStatus, GatewayOptions, GatewayStartResult, GatewayStatus } from './gateway-server'
export { GatewayKeys } from './keys'
export type { GatewayKeyInfo } from './keys'
export type { GatewayListenError } from './listen-error'
export type { GatewayLogEntry } from './request-log'
export { MODEL_ROUTES, nameClaims } from './routing'
export type { NameClaimDef, NameClash } from './routing'
export { Gateway, gatewayCheck } from './gateway-app'
export type { GatewayView } from './gateway-app'
