import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Dockerode from 'dockerode'
import type { SettingsService } from '../settings/settings-service'

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock'

/** dockerode options for a Settings.dockerSocket value ('' = DOCKER_HOST, else the default socket). */
export function dockerOptions(socket: string, env: NodeJS.ProcessEnv = process.env): Dockerode.DockerOptions & { endpoint: string } {
  const value = socket.trim() || env.DOCKER_HOST?.trim() || `unix://${DEFAULT_DOCKER_SOCKET}`
  if (value.startsWith('/')) return { socketPath: value, endpoint: `unix://${value}` }
  const url = new URL(value)
  if (url.protocol === 'unix:' || url.protocol === 'npipe:') {
    const path = decodeURIComponent(url.pathname || url.host)
    return { socketPath: path, endpoint: value }
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const https = url.protocol === 'https:' || env.DOCKER_TLS_VERIFY === '1'
    const certs = https && env.DOCKER_CERT_PATH ? tlsFiles(env.DOCKER_CERT_PATH) : {}
    return {
      host: url.hostname,
      port: Number(url.port || (https ? 2376 : 2375)),
      protocol: https ? 'https' : 'http',
      ...certs,
      endpoint: value,
    }
  }
  throw new Error(`unsupported Docker endpoint "${value}": use unix:///path/docker.sock or tcp://host:port`)
}

/** DOCKER_CERT_PATH's ca.pem / cert.pem / key.pem, as the docker CLI reads them. */
function tlsFiles(dir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  return { ca: readFileSync(join(dir, 'ca.pem')), cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }
}

/** One dockerode client per configured endpoint, rebuilt when the setting changes. */
export class DockerEndpoint {
  private cached: { key: string; client: Dockerode; endpoint: string } | undefined

  constructor(
    private readonly settings: SettingsService,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private current(): { client: Dockerode; endpoint: string } {
    const key = this.settings.get().dockerSocket
    if (this.cached?.key !== key) {
      const { endpoint, ...opts } = dockerOptions(key, this.env)
      this.cached = { key, client: new Dockerode(opts), endpoint }
    }
    return this.cached
  }

  client(): Dockerode {
    return this.current().client
  }

  /** Where we talk to Docker, for messages. */
  endpoint(): string {
    return this.current().endpoint
  }
}
