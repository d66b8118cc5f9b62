import { hostname, networkInterfaces } from 'node:os'
import { describe, expect, it } from 'vitest'
import { HostCheck, isJsonType, jsonDepth, parseAllowedHosts, splitHost } from './guards'

describe('HostCheck', () => {
  it('bound to loopback: loopback names and the machine name with the port', () => {
    const hosts = new HostCheck('127.0.0.1', 7391)
    for (const h of ['127.0.0.1:7391', 'localhost:7391', '[::1]:7391', `${hostname()}:7391`]) expect(hosts.allows(h), h).toBe(true)
    for (const h of ['127.0.0.1:7392', 'localhost', 'evil.example:7391', '127.0.0.1.nip.io:7391', '', undefined, 'a b:7391', '[::1:7391']) {
      expect(hosts.allows(h), String(h)).toBe(false)
    }
  })

  it('bound to all interfaces: also each address of this machine, read when asked', () => {
    const hosts = new HostCheck('0.0.0.0', 7391)
    const addresses = Object.values(networkInterfaces())
      .flatMap((l) => l ?? [])
      .map((a) => (a.family === 'IPv6' ? `[${a.address.split('%')[0]}]` : a.address))
    expect(addresses.length).toBeGreaterThan(0)
    for (const a of addresses) expect(hosts.allows(`${a}:7391`), a).toBe(true)
    expect(hosts.allows('203.0.113.77:7391')).toBe(addresses.includes('203.0.113.77'))
    expect(hosts.allows('rebind.evil.example:7391')).toBe(false)
  })

  it('port 80 may be left out, as browsers do', () => {
    const hosts = new HostCheck('127.0.0.1', 80)
    expect(hosts.allows('localhost')).toBe(true)
    expect(hosts.allows('localhost:80')).toBe(true)
    expect(new HostCheck('127.0.0.1', 7391).allows('localhost')).toBe(false)
  })

  it('configured names: without a port any port, with a port only that one', () => {
    const hosts = new HostCheck('127.0.0.1', 7391, parseAllowedHosts('Admin.Example.com, lab.local:8443'))
    expect(hosts.allows('admin.example.com')).toBe(true)
    expect(hosts.allows('ADMIN.example.com:443')).toBe(true)
    expect(hosts.allows('lab.local:8443')).toBe(true)
    expect(hosts.allows('lab.local:7391')).toBe(false)
    expect(hosts.allows('lab.local')).toBe(false)
  })
})

describe('parseAllowedHosts', () => {
  it('reads a comma-separated list and refuses what is not a host name, naming it', () => {
    expect(parseAllowedHosts(undefined)).toEqual([])
    expect(parseAllowedHosts(' a.example , ,[fd00::1]:8080,b:1')).toEqual(['a.example', '[fd00::1]:8080', 'b:1'])
    for (const bad of ['http://a.example', 'a.example/x', 'a b', '-a.example', 'a.example:port', 'x'.repeat(300)]) {
      expect(() => parseAllowedHosts(bad), bad).toThrow(/is not a host name: use names like/)
    }
  })

  it('splits Host values into name and port', () => {
    expect(splitHost('LocalHost:80')).toEqual({ name: 'localhost', port: 80 })
    expect(splitHost('[::1]')).toEqual({ name: '[::1]', port: undefined })
    expect(splitHost('a:b:c')).toBeUndefined()
  })
})

describe('body checks', () => {
  it('recognises JSON content types only', () => {
    for (const t of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8'])
      expect(isJsonType(t), t).toBe(true)
    for (const t of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonp',
      'application/json-patch+json',
    ]) {
      expect(isJsonType(t), t).toBe(false)
    }
  })

  it('measures nesting without counting brackets inside strings', () => {
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).toBe(4)
    expect(jsonDepth('{"a":"[[[[[[\\"[[["}')).toBe(1)
    expect(jsonDepth('"just a string"')).toBe(0)
    expect(jsonDepth('['.repeat(1000))).toBe(1000)
  })
})
