import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { freePort, httpUrl, portFree, reachHost, urlHost } from './net'

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
