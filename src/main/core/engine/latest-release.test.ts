import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { DeploymentSpec } from '../../../shared/contract/deployments'
import { AppError } from '../errors'
import { isNewerRelease, resolveLatestImage, type LatestReleaseSource } from './latest-release'

const REPO = 'registry.local:5000/vllm/vllm-openai'

function capture(): { logger: pino.Logger; lines: () => { level: number; msg: string; image?: string }[] } {
  const out: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString())
      cb()
    },
  })
  return { logger: pino({ level: 'info' }, stream), lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) }
}

/** A versions service stand-in: the newest release (or an offline error) and the refs pulled. */
function source(newest: string | Error, failPull = false): LatestReleaseSource & { pulled: string[] } {
  const pulled: string[] = []
  return {
    pulled,
    resolveLatestRelease: async (repository) => {
      if (newest instanceof Error) throw newest
      return { tag: newest, digest: `sha256:${'a'.repeat(64)}`, ref: `${repository}:${newest}` }
    },
    ensurePulled: async (ref) => {
      if (failPull) throw new Error('registry unreachable from Docker')
      pulled.push(ref)
    },
  }
}

const run = (src: LatestReleaseSource, image: string, logger = capture().logger, signal = new AbortController().signal) =>
  resolveLatestImage({ source: src, logger, name: 'chat', image, signal })

describe('always-latest resolution at deploy', () => {
  it('a newer release is pulled and returned', async () => {
    const src = source('v0.22.0')
    const log = capture()
    const r = await run(src, `${REPO}:v0.21.0`, log.logger)
    expect(r).toEqual({ kind: 'newer', image: `${REPO}:v0.22.0`, from: `${REPO}:v0.21.0` })
    expect(src.pulled).toEqual([`${REPO}:v0.22.0`])
    expect(log.lines().map((l) => l.msg)).toEqual(['always-latest: moving the deployment to the newest release'])
  })

  it('already on the newest release (or a variant of it): the current image, nothing pulled', async () => {
    const src = source('v0.21.0')
    expect(await run(src, `${REPO}:v0.21.0`)).toEqual({ kind: 'current', image: `${REPO}:v0.21.0` })
    expect(await run(src, `${REPO}:v0.21.0-cu129`)).toEqual({ kind: 'current', image: `${REPO}:v0.21.0-cu129` })
    expect(src.pulled).toEqual([])
  })

  it('offline (no tag list): deploys the current image and logs a warning', async () => {
    const log = capture()
    const src = source(
      new AppError('UNAVAILABLE', `No release of ${REPO} is known.`, { fix: 'Refresh the tag list once the registry is reachable.' }),
    )
    const r = await run(src, `${REPO}:v0.21.0`, log.logger)
    expect(r).toEqual({ kind: 'unavailable', image: `${REPO}:v0.21.0`, reason: `No release of ${REPO} is known.` })
    expect(src.pulled).toEqual([])
    const warn = log.lines().find((l) => l.level === 40)
    expect(warn?.msg).toMatch(/newest release is unknown; deploying the current image/)
  })

  it('a newer release that cannot be pulled: the current image, with a warning', async () => {
    const log = capture()
    const r = await run(source('v0.22.0', true), `${REPO}:v0.21.0`, log.logger)
    expect(r).toMatchObject({
      kind: 'unavailable',
      image: `${REPO}:v0.21.0`,
      reason: expect.stringMatching(/pulling .*v0\.22\.0 failed: registry unreachable/),
    })
    expect(log.lines().some((l) => l.level === 40)).toBe(true)
  })

  it('a cancelled deploy stops before pulling', async () => {
    const ac = new AbortController()
    ac.abort(new Error('cancelled'))
    const src = source('v0.22.0')
    await expect(run(src, `${REPO}:v0.21.0`, capture().logger, ac.signal)).rejects.toThrow('cancelled')
    expect(src.pulled).toEqual([])
  })
})

describe('helpers', () => {
  it('a deployment image may name a registry or mirror with a port (the versions repository can be one)', () => {
    const image = (ref: string): boolean => DeploymentSpec.shape.image.safeParse(ref).success
    expect(image(`${REPO}:v0.21.0`)).toBe(true)
    expect(image('127.0.0.1:37205/inferadmin-test/vllm-0a1b:v0.22.0')).toBe(true)
    expect(image('vllm/vllm-openai:v0.21.0')).toBe(true)
    expect(image('ghcr.io/org/vllm')).toBe(true)
    expect(image('Registry:5000/vllm')).toBe(false)
    expect(image('host:port/vllm:v1')).toBe(false)
  })

  it('isNewerRelease compares release versions; a non-release current tag is always replaced', () => {
    expect(isNewerRelease('v0.22.0', 'v0.21.0')).toBe(true)
    expect(isNewerRelease('v0.21.0.post1', 'v0.21.0')).toBe(true)
    expect(isNewerRelease('v0.21.0', 'v0.21.0rc1')).toBe(true)
    expect(isNewerRelease('v0.21.0', 'v0.22.0')).toBe(false)
    expect(isNewerRelease('v0.21.0', 'latest')).toBe(true)
    expect(isNewerRelease('v0.21.0', null)).toBe(true)
    expect(isNewerRelease('nightly', 'v0.21.0')).toBe(false)
  })
})
