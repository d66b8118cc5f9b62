import { createServer } from 'node:net'

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
