import type Dockerode from 'dockerode'

export const WEBUI_CONTAINER = 'inferadmin-open-webui'
/** The short-lived container of a first start: reachable from this machine only until InferAdmin's admin exists. */
export const WEBUI_SETUP_CONTAINER = 'inferadmin-open-webui-setup'
export const WEBUI_VOLUME = 'inferadmin-open-webui-data'
export const WEBUI_INTERNAL_PORT = 8080
export const WEBUI_DATA_DIR = '/app/backend/data'
export const ADMIN_EMAIL = 'inferadmin@inferadmin.local'
export const ADMIN_NAME = 'InferAdmin'

export const WEBUI_LABEL = {
  managed: 'inferadmin.managed',
  kind: 'inferadmin.kind',
  port: 'inferadmin.port',
  tag: 'inferadmin.webui.tag',
  volume: 'inferadmin.webui.volume',
  /** On the data volume: a random id given at creation (Docker's CreatedAt follows the directory's mtime). */
  volumeId: 'inferadmin.webui.volume-id',
} as const

/** A model endpoint Open WebUI should list. */
export interface ModelEndpoint {
  deploymentId: string
  name: string
  /** Host port the deployment is published on. */
  port: number
  apiKey?: string
}

/** Where the ready model endpoints come from (deployments today, the gateway later). */
export interface ModelEndpointsSource {
  list(): ModelEndpoint[]
  /** Called when the list changed. */
  onChange(listener: () => void): { dispose(): void }
}

/** How Open WebUI, in its container, reaches a deployment published on the host. */
export const baseUrlOf = (port: number): string => `http://host.docker.internal:${port}/v1`

export interface WebuiSpecInput {
  image: string
  tag: string
  hostPort: number
  listenInterface: string
  secretKey: string
  endpoints: ModelEndpoint[]
  /**
   * The setup container of a first start: published on 127.0.0.1 at a port Docker picks, sign-up open so that
   * InferAdmin's account becomes the admin (Open WebUI makes the first account to sign up its admin and then
   * closes sign-up — routers/auths.py `signup`), no restart. Nobody on the network can reach it.
   */
  setup?: boolean
}

/** Where a setup container is published: this machine only, a port Docker picks. */
const LOOPBACK_ANY_PORT = { HostIp: '127.0.0.1', HostPort: '' }

/**
 * The create call: the data volume at /app/backend/data, host.docker.internal → host gateway, the port on the
 * configured interface, labels, and the first-start configuration (PersistentConfig: later changes go
 * through the admin API, see webui-admin.ts). Only a setup container (o.setup) starts with sign-up open; the
 * published one asks for it closed (its database already says so after the setup, PersistentConfig).
 */
export function webuiContainerSpec(o: WebuiSpecInput): Dockerode.ContainerCreateOptions {
  const portKey = `${WEBUI_INTERNAL_PORT}/tcp`
  const env = [
    `WEBUI_SECRET_KEY=${o.secretKey}`,
    'WEBUI_AUTH=true',
    'ENABLE_OPENAI_API=true',
    'ENABLE_OLLAMA_API=false',
    `ENABLE_SIGNUP=${o.setup ? 'true' : 'false'}`,
    'DEFAULT_USER_ROLE=pending',
  ]
  if (o.endpoints.length) {
    env.push(`OPENAI_API_BASE_URLS=${o.endpoints.map((e) => baseUrlOf(e.port)).join(';')}`)
    env.push(`OPENAI_API_KEYS=${o.endpoints.map((e) => e.apiKey ?? '').join(';')}`)
  }
  return {
    name: o.setup ? WEBUI_SETUP_CONTAINER : WEBUI_CONTAINER,
    Image: `${o.image}:${o.tag}`,
    Env: env,
    Labels: {
      [WEBUI_LABEL.managed]: 'true',
      // Not 'webui': the status, the events and adoption never take the setup container for Open WebUI itself.
      [WEBUI_LABEL.kind]: o.setup ? 'webui-setup' : 'webui',
      [WEBUI_LABEL.port]: String(o.hostPort),
      [WEBUI_LABEL.tag]: o.tag,
      [WEBUI_LABEL.volume]: WEBUI_VOLUME,
    },
    ExposedPorts: { [portKey]: {} },
    HostConfig: {
      Binds: [`${WEBUI_VOLUME}:${WEBUI_DATA_DIR}`],
      ExtraHosts: ['host.docker.internal:host-gateway'],
      PortBindings: { [portKey]: [o.setup ? LOOPBACK_ANY_PORT : { HostIp: o.listenInterface, HostPort: String(o.hostPort) }] },
      RestartPolicy: { Name: o.setup ? 'no' : 'unless-stopped' },
    },
  }
}

/** Loopback-only listen interfaces: a container cannot reach deployments published there. */
export function isLoopback(iface: string): boolean {
  return /^127\./.test(iface) || iface === '::1' || iface === 'localhost'
}
