import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { GatewayKeys } from './keys'

describe('GatewayKeys', () => {
  const dirs: string[] = []
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'gw-keys-'))
    dirs.push(d)
    return d
  }
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

  it('creates a key shown once, keeps only its hash (0600), and verifies it after a restart', () => {
    const d = dir()
    const keys = new GatewayKeys({ dataDir: d })
    const { key, info } = keys.create({ name: 'Open WebUI', requestsPerMinute: 60 })
    expect(key).toMatch(/^iagw-[A-Za-z0-9_-]{43}$/)
    expect(info).toMatchObject({ name: 'Open WebUI', requestsPerMinute: 60, prefix: `${key.slice(0, 9)}…` })
    const file = join(d, 'gateway-keys.json')
    expect(readFileSync(file, 'utf8')).not.toContain(key)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const again = new GatewayKeys({ dataDir: d })
    expect(again.verify(key)).toEqual(info)
    expect(again.verify(`${key}x`)).toBeNull()
    expect(again.verify('EMPTY')).toBeNull()
    expect(again.list()).toEqual([info])
  })

  it('revokes a key: it no longer verifies, here or after a restart', () => {
    const d = dir()
    const keys = new GatewayKeys({ dataDir: d })
    const a = keys.create({ name: 'a' })
    const b = keys.create({ name: 'b' })
    keys.revoke(a.info.id)
    expect(keys.verify(a.key)).toBeNull()
    expect(keys.verify(b.key)?.name).toBe('b')
    expect(new GatewayKeys({ dataDir: d }).verify(a.key)).toBeNull()
    expect(() => keys.revoke(a.info.id)).toThrow(/no gateway key with id/)
  })

  it('refuses a bad name, a taken name and a bad limit, naming the field', () => {
    const keys = new GatewayKeys({ dataDir: dir() })
    keys.create({ name: 'ci' })
    expect(() => keys.create({ name: '  ' })).toThrow(/1 to 100 characters/)
    expect(() => keys.create({ name: 'CI' })).toThrow(/exists already/)
    expect(() => keys.create({ name: 'x', requestsPerMinute: 0 })).toThrow(/whole number from 1/)
    expect(() => keys.create({ name: 'x', requestsPerMinute: 1.5 })).toThrow(/whole number from 1/)
  })

  it('fails closed on a damaged file and never overwrites it', () => {
    const d = dir()
    writeFileSync(join(d, 'gateway-keys.json'), '{"version":1,"keys":[')
    const keys = new GatewayKeys({ dataDir: d })
    expect(keys.loadError).toContain('is not a valid key file')
    expect(() => keys.create({ name: 'x' })).toThrow(
      expect.objectContaining({ data: expect.objectContaining({ fix: expect.stringMatching(/move it away/) }) }),
    )
    expect(readFileSync(join(d, 'gateway-keys.json'), 'utf8')).toBe('{"version":1,"keys":[')
  })
})
