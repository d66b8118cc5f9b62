import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { freePort, httpUrl, isLoopback, networkUrls, portFree, reachHost, urlHost } from './net'

describe('URLs and ports', () => {
  it('puts an IPv6 address in brackets and leaves IPv4 and names alone', () => {
    expect(httpUrl('::1', 8000, '/v1')).toBe('http://[::1]:8000/v1')
    expect(httpUrl('fe80::1%eth0', 3000)).toBe('http://[fe80::1%eth0]:3000')
    expect(httpUrl('127.0.0.1', 8000, '/health')).toBe('http://127.0.0.1:8000/health')
    expect(httpUrl('gpu-box.local', 8080, '/')).toBe('http://gpu-box.local:8080/')
    expect(urlHost('[::1]')).toBe('[::1]')
  })

  it('reaches a wildcard interface through the loopback of its family', () => {
    expect(reachHost('0.0.0.0')).toBe('127.0.0.1')
    expect(reachHost('')).toBe('127.0.0.1')
    expect(reachHost('::')).toBe('::1')
    expect(reachHost('192.168.1.20')).toBe('192.168.1.20')
    expect(httpUrl(reachHost('::'), 8000, '/v1')).toBe('http://[::1]:8000/v1')
  })

  it('finds a free port and sees it taken', async () => {
    const port = await freePort('127.0.0.1')
    expect(port).toBeGreaterThan(0)
    expect(await portFree('127.0.0.1', port)).toBe(true)
    const srv = createServer().listen(port, '127.0.0.1')
    await new Promise((r) => srv.once('listening', r))
    try {
      expect(await portFree('127.0.0.1', port)).toBe(false)
    } finally {
      srv.close()
    }
  })
})

describe('who reaches a published port', () => {
  const nets = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    docker0: [{ address: '172.17.0.1', family: 'IPv4', internal: false }],
    eth0: [
      { address: '192.168.1.20', family: 'IPv4', internal: false },
      { address: 'fe80::1', family: 'IPv6', internal: false },
      { address: '2001:db8::20', family: 'IPv6', internal: false },
    ],
  } as unknown as Parameters<typeof networkUrls>[3]

  it('loopback: nobody else; a wildcard: every address of the host; a given address: that one', () => {
    expect(isLoopback('127.0.0.1')).toBe(true)
    expect(networkUrls('127.0.0.1', 8001, '/v1', nets)).toEqual([])
    expect(networkUrls('0.0.0.0', 8001, '/v1', nets)).toEqual(['http://192.168.1.20:8001/v1'])
    expect(networkUrls('::', 8001, '/v1', nets)).toEqual(['http://192.168.1.20:8001/v1', 'http://[2001:db8::20]:8001/v1'])
    expect(networkUrls('192.168.1.20', 8001, '', nets)).toEqual(['http://192.168.1.20:8001'])
  })
})
