/** Where a vLLM container published on a host interface and port is reached. */
import { httpUrl, networkUrls, reachHost } from '../docker/net'

/** The OpenAI-compatible base URL of a container published on `iface`:`port`. */
export function endpointOf(iface: string, port: number): string {
  return httpUrl(reachHost(iface), port, '/v1')
}

/** Where a container published on `iface`:`port` is reached: from here, and from the network (if at all). */
export function publishedAt(iface: string, port: number): { endpoint: string; listen: string; networkUrls: string[] } {
  return { endpoint: endpointOf(iface, port), listen: iface, networkUrls: networkUrls(iface, port, '/v1') }
}
