import { describe, expect, it } from 'vitest'
import { parseHubPage } from './dockerhub'
import { PullProgress, pullError } from '../docker/pull'
import { nextLink, parseChallenge, parseRepository, registryBaseUrl } from './registry'
import { classify, compareVersions, parseTag, type RawTag } from './tags'
import { lastSlot, missedRun, nextSlot } from './versions-cache'
import { flagDiff, snapshotFor } from './versions-diff'
import { pullSpaceProblem } from './versions-service'

const raw = (name: string, date: string | null = null): RawTag => ({ name, date, digest: null, sizeBytes: null })

describe('tag classification (vllm-facts §4)', () => {
  it('parses releases with variants, latest, nightlies and others', () => {
    expect(parseTag('v0.21.0')).toEqual({ kind: 'release', version: 'v0.21.0', variant: null })
    expect(parseTag('v0.21.0-cu129')).toEqual({ kind: 'release', version: 'v0.21.0', variant: 'cu129' })
    expect(parseTag('v0.24.0-ubuntu2404')).toEqual({ kind: 'release', version: 'v0.24.0', variant: 'ubuntu2404' })
    expect(parseTag('v0.20.2-aarch64-cu129')).toEqual({ kind: 'release', version: 'v0.20.2', variant: 'aarch64-cu129' })
    expect(parseTag('v0.9.2.post1')).toEqual({ kind: 'release', version: 'v0.9.2.post1', variant: null })
    expect(parseTag('v0.12.0rc1')).toEqual({ kind: 'release', version: 'v0.12.0rc1', variant: null })
    expect(parseTag('latest')).toEqual({ kind: 'latest', version: null, variant: null })
    expect(parseTag('latest-x86_64')).toEqual({ kind: 'latest', version: null, variant: 'x86_64' })
    expect(parseTag('nightly')).toEqual({ kind: 'nightly', version: null, variant: null })
    expect(parseTag('nightly-7a1eb8ac2ec4ea69338c51dc7afd4b15010abfa8')).toMatchObject({
      kind: 'nightly',
      variant: '7a1eb8ac2ec4ea69338c51dc7afd4b15010abfa8',
    })
    expect(parseTag('cu129-nightly')).toEqual({ kind: 'nightly', version: null, variant: 'cu129' })
    expect(parseTag('kimi-k3')).toEqual({ kind: 'other', version: null, variant: null })
    expect(parseTag('v1')).toEqual({ kind: 'other', version: null, variant: null })
  })

  it('sorts by semver, not by string (0.9 < 0.10; rc < final < post)', () => {
    const sorted = ['v0.10.0', 'v0.9.2', 'v0.9.2.post1', 'v0.11.0rc1', 'v0.11.0', 'v0.2.7'].sort(compareVersions)
    expect(sorted).toEqual(['v0.2.7', 'v0.9.2', 'v0.9.2.post1', 'v0.10.0', 'v0.11.0rc1', 'v0.11.0'])
  })

  it('groups variants under their release, keeps latest and nightlies apart, nightlies by date, newest non-rc release', () => {
    const c = classify(
      [
        raw('v0.9.2'),
        raw('v0.21.0-cu129'),
        raw('nightly-aaa', '2026-05-01T00:00:00Z'),
        raw('v0.21.0'),
        raw('latest'),
        raw('v0.22.0rc1'),
        raw('nightly', '2026-05-03T00:00:00Z'),
        raw('v0.21.0-x86_64'),
        raw('qwen38'),
        raw('v0.10.0'),
      ],
      new Map([['v0.21.0', { sizeBytes: 10, digest: null }]]),
    )
    expect(c.releases.map((r) => r.version)).toEqual(['v0.22.0rc1', 'v0.21.0', 'v0.10.0', 'v0.9.2'])
    expect(c.releases[1]!.variants.map((v) => v.name)).toEqual(['v0.21.0-cu129', 'v0.21.0-x86_64'])
    expect(c.releases[1]!.tag?.local).toEqual({ sizeBytes: 10, digest: null, upToDate: null })
    expect(c.latest.map((t) => t.name)).toEqual(['latest'])
    expect(c.nightlies.map((t) => t.name)).toEqual(['nightly', 'nightly-aaa'])
    expect(c.other.map((t) => t.name)).toEqual(['qwen38'])
    expect(c.newestRelease).toBe('v0.21.0')
  })
})

describe('sources', () => {
  it('parses repositories into registry host and name', () => {
    expect(parseRepository('vllm/vllm-openai')).toEqual({
      host: 'docker.io',
      name: 'vllm/vllm-openai',
      display: 'vllm/vllm-openai',
      hub: true,
    })
    expect(parseRepository('docker.io/vllm/vllm-openai')).toMatchObject({ hub: true, display: 'vllm/vllm-openai' })
    expect(parseRepository('ubuntu')).toMatchObject({ hub: true, name: 'library/ubuntu', display: 'ubuntu' })
    expect(parseRepository('127.0.0.1:5000/inferadmin-sim/vllm-openai')).toEqual({
      host: '127.0.0.1:5000',
      name: 'inferadmin-sim/vllm-openai',
      display: '127.0.0.1:5000/inferadmin-sim/vllm-openai',
      hub: false,
    })
    expect(parseRepository('ghcr.io/org/vllm')).toMatchObject({ host: 'ghcr.io', hub: false })
    expect(registryBaseUrl('127.0.0.1:5000', {})).toBe('http://127.0.0.1:5000')
    expect(registryBaseUrl('ghcr.io', {})).toBe('https://ghcr.io')
    expect(registryBaseUrl('docker.io', {})).toBe('https://registry-1.docker.io')
  })

  it('parses the bearer challenge and Link pagination', () => {
    expect(
      parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:vllm/vllm-openai:pull"'),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:vllm/vllm-openai:pull' },
    })
    expect(parseChallenge(null)).toBeNull()
    expect(
      nextLink('</v2/vllm/vllm-openai/tags/list?last=v0.10.0&n=2>; rel="next"', 'https://r.example/v2/vllm/vllm-openai/tags/list?n=2'),
    ).toBe('https://r.example/v2/vllm/vllm-openai/tags/list?last=v0.10.0&n=2')
    expect(nextLink(null, 'https://r.example/')).toBeNull()
  })

  it('reads a Docker Hub page: amd64 size and digest, next', () => {
    const p = parseHubPage({
      count: 3,
      next: 'https://hub.docker.com/v2/repositories/vllm/vllm-openai/tags?page=2&page_size=1',
      results: [
        {
          name: 'v0.20.2',
          last_updated: '2026-05-10T10:00:00Z',
          full_size: 123,
          digest: 'sha256:idx',
          images: [
            { architecture: 'arm64', os: 'linux', digest: 'sha256:arm', size: 9 },
            { architecture: 'amd64', os: 'linux', digest: 'sha256:amd', size: 99 },
          ],
        },
      ],
    })
    expect(p).toEqual({
      tags: [{ name: 'v0.20.2', date: '2026-05-10T10:00:00Z', digest: 'sha256:idx', sizeBytes: 99 }],
      next: 'https://hub.docker.com/v2/repositories/vllm/vllm-openai/tags?page=2&page_size=1',
    })
    expect(parseHubPage({ results: [], next: null }).next).toBeNull()
  })
})

describe('nightly schedule', () => {
  const at = (s: string): Date => new Date(s)
  it('computes the last and next slot in local time', () => {
    expect(lastSlot(at('2026-06-10T10:00:00'), '03:00').getTime()).toBe(at('2026-06-10T03:00:00').getTime())
    expect(lastSlot(at('2026-06-10T02:59:00'), '03:00').getTime()).toBe(at('2026-06-09T03:00:00').getTime())
    expect(nextSlot(at('2026-06-10T10:00:00'), '03:00').getTime()).toBe(at('2026-06-11T03:00:00').getTime())
    expect(nextSlot(at('2026-06-10T02:00:00'), '23:30').getTime()).toBe(at('2026-06-10T23:30:00').getTime())
  })
  it('a run is missed when nothing was fetched or attempted since the last slot', () => {
    const now = at('2026-06-10T10:00:00')
    expect(missedRun(null, null, now, '03:00')).toBe(true)
    expect(missedRun(at('2026-06-10T02:00:00').toISOString(), null, now, '03:00')).toBe(true)
    expect(missedRun(at('2026-06-10T03:00:05').toISOString(), null, now, '03:00')).toBe(false)
    expect(missedRun(null, at('2026-06-10T03:00:01').toISOString(), now, '03:00')).toBe(false)
  })
})

describe('pull', () => {
  it('folds layer events into bytes and items', () => {
    const p = new PullProgress([
      { digest: 'sha256:aaaaaaaaaaaa1111', size: 100 },
      { digest: 'sha256:bbbbbbbbbbbb2222', size: 50 },
    ])
    p.apply({ status: 'Pulling fs layer', id: 'aaaaaaaaaaaa' })
    p.apply({ status: 'Already exists', id: 'bbbbbbbbbbbb' })
    p.apply({ status: 'Downloading', id: 'aaaaaaaaaaaa', progressDetail: { current: 40, total: 100 } })
    expect(p.snapshot()).toMatchObject({ bytesDone: 90, bytesTotal: 150 })
    expect(p.snapshot().items.map((i) => i.state)).toEqual(['running', 'done'])
    p.apply({ status: 'Pull complete', id: 'aaaaaaaaaaaa' })
    p.apply({ status: 'Digest: sha256:' + 'c'.repeat(64) })
    expect(p.snapshot().bytesDone).toBe(150)
    expect(p.digest).toBe('sha256:' + 'c'.repeat(64))
    expect(p.apply({ errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' })).toBe('manifest unknown')
  })
  it('maps Docker errors to codes with a fix', () => {
    expect(pullError('r:v1', 'manifest for r:v1 not found: manifest unknown: manifest unknown').code).toBe('NOT_FOUND')
    expect(pullError('r:v1', 'pull access denied for r, repository does not exist or may require docker login').code).toBe('FORBIDDEN')
    expect(pullError('r:v1', 'Get "https://r/v2/": dial tcp 1.2.3.4:443: connect: connection refused').code).toBe('UNAVAILABLE')
  })
  it('checks disk space: download plus unpacked layers, says how much is needed', () => {
    expect(pullSpaceProblem(1024 ** 3, 100 * 1024 ** 3, 500 * 1024 ** 3, '/var/lib/docker')).toBeNull()
    const p = pullSpaceProblem(10 * 1024 ** 3, 20 * 1024 ** 3, 500 * 1024 ** 3, '/var/lib/docker')
    expect(p?.message).toMatch(/needs about 31\.0 GiB free in Docker's data root \/var\/lib\/docker .* only 20\.0 GiB is free/)
    expect(p?.fix).toMatch(/Free at least 11\.0 GiB/)
  })
})

describe('flag diff from the bundled history', () => {
  it('maps versions to the newest snapshot not newer than them', () => {
    expect(snapshotFor('v0.10.0').label).toBe('approx v0.10.0')
    expect(snapshotFor('v0.11.2').label).toBe('approx v0.11.0')
    expect(snapshotFor('v0.21.0-cu129').label).toMatch(/v0\.20\.2/)
    expect(snapshotFor('nightly').label).toMatch(/v0\.20\.2/)
  })
  it('v0.21.0 → v0.10.0: renamed flags both ways, refused args with their successor', () => {
    const d = flagDiff('v0.21.0', 'v0.10.0', {
      '--enable-log-requests': true,
      '--runner': 'generate',
      '--max-model-len': 4096,
      '--enable-prefix-caching': false,
    })
    expect(d.basis).toMatch(/bundled flag snapshots/)
    expect(d.renamed).toEqual(expect.arrayContaining([{ from: '--enable-log-requests', to: '--disable-log-requests' }]))
    expect(d.rejected.map((x) => [x.flag, x.successor])).toEqual([
      ['--enable-log-requests', '--disable-log-requests'],
      ['--runner', '--task'],
    ])
    const up = flagDiff('v0.10.0', 'v0.21.0', { '--disable-log-requests': true, '--swap-space': 4 })
    expect(up.renamed).toEqual(expect.arrayContaining([{ from: '--disable-log-requests', to: '--enable-log-requests' }]))
    expect(up.rejected.map((x) => x.flag)).toEqual(['--disable-log-requests', '--swap-space'])
    expect(up.rejected[1]!.reason).toMatch(/no longer has --swap-space/)
  })
  it("refuses a value outside the target version's choices", () => {
    const d = flagDiff('v0.21.0', 'v0.10.0', { '--uvicorn-log-level': 'nonsense' })
    expect(d.rejected[0]?.reason).toMatch(/accepts only .*critical/)
  })
})
