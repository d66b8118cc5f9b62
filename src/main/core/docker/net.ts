import { createServer } from 'node:net'
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'

/** Where the app reaches a port published on `iface`: the loopback of its family for a wildcard. */
export function reachHost(iface: string): string {
  return iface === '0.0.0.0' || iface === '' ? '127.0.0.1' : iface === '::' ? '::1' : iface
}

/** `host` as it goes into a URL: an IPv6 address in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

/** `http://host:port` plus `path`, IPv6-safe. */
export function httpUrl(host: string, port: number, path = ''): string {
  return `http://${urlHost(host)}:${port}${path}`
}

/** Whether `iface` is a loopback address (only this machine reaches what listens there). */
export function isLoopback(iface: string): boolean {
  return iface === 'localhost' || iface === '::1' || iface.startsWith('127.')
}

/** Bridges to containers and VMs on this host (Docker's, libvirt's, the simulation's): not a network people are on. */
const VIRTUAL = /^(docker\d|br-|veth|virbr|cni|flannel|lxc|podman|infsim)/

/**
 * The URLs other machines use for a port published on `iface`: every non-loopback address of this host's real
 * interfaces for a wildcard (0.0.0.0: IPv4 ones, ::: all), the address itself otherwise, none for loopback.
 */
export function networkUrls(
  iface: string,
  port: number,
  path = '',
  nets: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string[] {
  if (isLoopback(iface)) return []
  if (iface !== '0.0.0.0' && iface !== '::' && iface !== '') return [httpUrl(iface, port, path)]
  const all = Object.entries(nets).flatMap(([name, list]) => (VIRTUAL.test(name) ? [] : (list ?? [])))
  const usable = all.filter((n) => !n.internal && (iface === '::' || n.family === 'IPv4') && !n.address.startsWith('fe80:'))
  return usable.map((n) => httpUrl(n.address, port, path))
}

/** Ask the OS for a free TCP port on `host`. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** Is `port` free on `host`? */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}
