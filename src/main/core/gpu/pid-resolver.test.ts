import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { containerIdsFromCgroup } from './pid-resolver'

const ID = '3f9d1c0a7b2e4d5f8a6c1e0b9d8f7a6e5c4b3a2918f7e6d5c4b3a29180f7e6d5'

describe('containerIdsFromCgroup', () => {
  it('finds the id with the systemd driver (cgroup v2)', () => {
    expect(containerIdsFromCgroup(`0::/system.slice/docker-${ID}.scope\n`)).toEqual([ID])
  })
  it('finds the id with the cgroupfs driver and in v1 hierarchies', () => {
    expect(containerIdsFromCgroup(`0::/docker/${ID}\n`)).toEqual([ID])
    expect(containerIdsFromCgroup(`12:memory:/docker/${ID}\n11:cpu,cpuacct:/docker/${ID}\n1:name=systemd:/docker/${ID}\n`)).toEqual([ID])
  })
  it('finds nothing for host processes', () => {
    expect(containerIdsFromCgroup('0::/user.slice/user-1000.slice/session-2.scope\n')).toEqual([])
  })
  it('reads real files (a /proc-like tree)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'proc-'))
    mkdirSync(join(root, '42'))
    writeFileSync(join(root, '42', 'cgroup'), `0::/system.slice/docker-${ID}.scope\n`)
    const { readFile } = await import('node:fs/promises')
    expect(containerIdsFromCgroup(await readFile(join(root, '42', 'cgroup'), 'utf8'))).toEqual([ID])
  })
})
