import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { DeploymentSpecInput } from '../../src/shared/contract/deployments'
import type { GatewayStatus } from '../../src/shared/contract/gateway'
import type { GpusSnapshot } from '../../src/shared/contract/gpu'
import type { PlannerDecision, PlannerStatus } from '../../src/shared/contract/planner'
import { setExternalUsage } from '../sim/gpus/state.js'
import { PROFILES } from '../sim/gpus/profiles.js'
import { freePort } from '../sim/ports.js'
import { seedModel } from '../sim/seed.js'
import { completionWords, renderChat } from '../sim/vllm/generate.js'
import { createDeployment, getDeployment, ourContainers, serve, waitFor, type Server } from '../deployments/support'

// #16 acceptance on the simulated workstation, one server and home through a model's life on one RTX 4090:
// discovery load beside a running model → footprint persisted → three models together → idle unload frees the GPU →
// the next start uses the footprint → a stream is never cut by an eviction → the footprint survives a restart.
const gpu0 = PROFILES.default!.gpus[0]!
let env: Record<string, string>
let docker: Docker
let home: string
let server: Server
let gatewayUrl: string
let baseUsedMiB: number
const repos: Record<string, string> = {}
const commits: Record<string, string> = {}
const ids: Record<string, string> = {}
/** Slow tokens on n: a stream lasts seconds (12–24 words at 2/s). */
const STREAM_TOKENS_PER_S = '2'

const spec = (name: string, extra: Partial<DeploymentSpecInput> = {}): DeploymentSpecInput => ({
  name,
  model: { repo: repos[name]!, revision: 'main' },
  image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
  gpus: [gpu0.uuid],
  env: { INFERADMIN_SIM_SPEED: '4' },
  ...extra,
})
const client = (): OpenAI => new OpenAI({ baseURL: gatewayUrl, apiKey: 'EMPTY', maxRetries: 0, timeout: 120_000 })
const ask = (name: string) =>
  client().chat.completions.create({ model: repos[name]!, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 })
const planner = async (): Promise<PlannerStatus> => (await server.api<PlannerStatus>('GET', '/planner')).body
const decisions = async (): Promise<PlannerDecision[]> => (await server.api<PlannerDecision[]>('GET', '/planner/log?limit=200')).body
const startsOf = async (name: string): Promise<PlannerDecision[]> =>
  (await decisions()).filter((d) => d.kind === 'start' && d.model === name)
const state = async (name: string): Promise<string> => (await getDeployment(server, ids[name]!)).status.state
const usedMiB = async (): Promise<number> =>
  (await server.api<GpusSnapshot>('GET', '/gpus')).body.gpus.find((g) => g.uuid === gpu0.uuid)!.memoryUsedMiB!
const footprintFile = (): { footprints: { key: string; loads: number }[] } =>
  JSON.parse(readFileSync(join(home, 'planner', 'footprints.json'), 'utf8')) as { footprints: { key: string; loads: number }[] }

async function startServer(): Promise<void> {
  server = await serve(home, { DOCKER_HOST: env.DOCKER_HOST!, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI! })
  gatewayUrl = await waitFor(
    'the gateway listening',
    async () => (await server.api<GatewayStatus>('GET', '/gateway')).body.url ?? undefined,
  )
}

/** A streamed chat completion through the gateway, read to its end: text, finish reason, whether [DONE] came, when. */
async function stream(name: string, prompt: string) {
  const res = await fetch(`${gatewayUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: repos[name],
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: prompt }],
    }),
  })
  if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`)
  const out = { text: '', finish: null as string | null, tokens: 0, usageTokens: null as number | null, done: false, endedAt: 0 }
  let first: () => void = () => undefined
  const started = new Promise<void>((r) => (first = r))
  const read = (async () => {
    for await (const { data } of res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())) {
      if (data === '[DONE]') {
        out.done = true
        continue
      }
      const c = JSON.parse(data) as {
        choices: { delta?: { content?: string }; finish_reason?: string | null }[]
        usage?: { completion_tokens: number }
      }
      const content = c.choices[0]?.delta?.content
      if (content) {
        out.tokens++
        out.text += content
        first()
      }
      out.finish = c.choices[0]?.finish_reason ?? out.finish
      if (c.usage) out.usageTokens = c.usage.completion_tokens
    }
    out.endedAt = Date.now()
    return out
  })()
  return { started, read }
}

beforeAll(async () => {
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  setExternalUsage(env.INFERADMIN_SIM_GPU_DIR!, 0, 0)
  home = mkdtempSync(join(tmpdir(), 'inferadmin-lifecycle-'))
  for (const n of ['a', 'n', 'c', 'big']) {
    const s = await seedModel(join(home, 'models'), { kind: 'chat', repo: `sim/life-${n}` })
    repos[n] = s.repo
    commits[n] = s.commit
  }
  // Idle unload off until the test that turns it on (0 = never).
  const settings = { gpuRefreshMs: 500, containerRefreshMs: 2000, gatewayPort: await freePort(), gatewayIdleMinutes: 0 }
  writeFileSync(join(home, 'settings.json'), JSON.stringify(settings))
  await startServer()
  baseUsedMiB = await waitFor(
    'a GPU sample',
    async () => (await server.api<GpusSnapshot>('GET', '/gpus')).body.gpus[0] && (await usedMiB()),
  )
  ids.a = (await createDeployment(server, spec('a'))).definition.id
  ids.n = (
    await createDeployment(server, spec('n', { env: { INFERADMIN_SIM_SPEED: '4', INFERADMIN_SIM_TOKENS_PER_S: STREAM_TOKENS_PER_S } }))
  ).definition.id
  ids.c = (await createDeployment(server, spec('c'))).definition.id
  // 4 × 40,960 tokens of KV (~17.5 GiB) + its fixed need: fits on the card only without n beside it.
  ids.big = (await createDeployment(server, spec('big', { memory: { mode: 'auto', contextTokens: 40_960, sequences: 4 } }))).definition.id
}, 180_000)

afterAll(async () => {
  await server?.kill('SIGKILL')
  if (docker) for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  if (home) rmSync(home, { recursive: true, force: true })
})

describe('a model’s life with the memory planner', { shuffle: false }, () => {
  it('an unknown model’s first request runs a discovery load beside a running model and persists its footprint', async () => {
    await ask('a')
    const aContainer = (await getDeployment(server, ids.a!)).status.containerId
    expect((await getDeployment(server, ids.n!)).footprint ?? null).toBeNull()
    expect((await ask('n')).choices).toHaveLength(1)
    const [start] = await startsOf('n')
    expect(start!.reason).toMatch(/^started n on GPU 0 at 0\.\d+ \(.* per GPU: discovery load \(nothing learned yet\), estimated /)
    // a kept running the whole time: same container, nothing evicted.
    const a = await getDeployment(server, ids.a!)
    expect([a.status.state, a.status.containerId]).toEqual(['ready', aContainer])
    expect((await decisions()).filter((d) => d.kind === 'evict')).toEqual([])
    const fp = await waitFor('n’s footprint learned', async () => {
      const f = (await getDeployment(server, ids.n!)).footprint
      return f?.loads === 1 ? f : undefined
    })
    expect(fp).toMatchObject({ source: 'learned', loads: 1, failures: 0 })
    await waitFor('the footprint file', () => existsSync(join(home, 'planner', 'footprints.json')) || undefined)
    const record = await waitFor('n’s record on disk', () => footprintFile().footprints.find((f) => f.key.includes(commits.n!)))
    expect(record.loads).toBe(1)
  })

  it('three models that fit run together with computed utilizations summing ≤ 0.95; no start failed', async () => {
    expect((await ask('c')).choices).toHaveLength(1)
    expect([await state('a'), await state('n'), await state('c')]).toEqual(['ready', 'ready', 'ready'])
    const g = (await planner()).gpus[0]!
    const us = g.reservations.map((r) => r.utilization)
    expect(g.reservations.map((r) => r.name).sort()).toEqual(['a', 'c', 'n'])
    expect(us.every((u) => u !== null && u > 0.05 && u < 0.5)).toBe(true)
    expect(us.reduce((s, u) => s! + u!, 0)).toBeLessThanOrEqual(0.95)
    for (const n of ['a', 'n', 'c']) {
      const d = await getDeployment(server, ids[n]!)
      expect(d.status.diagnosis?.reason ?? '').not.toMatch(/Free memory on device/)
      const log = (await server.api<{ lines: { text: string }[] }>('GET', `/deployments/${ids[n]}/logs?tail=400`)).body.lines
      expect(log.map((l) => l.text).filter((t) => /Free memory on device .* is less than desired GPU memory utilization/.test(t))).toEqual(
        [],
      )
    }
  })

  it('idle models are shut down and their memory is free again', async () => {
    expect(await usedMiB()).toBeGreaterThan(baseUsedMiB + 3 * 1024)
    expect((await server.api('PUT', '/settings', { gatewayIdleMinutes: 0.01 })).status).toBe(200) // 0.6 s
    await waitFor(
      'a, n and c stopped',
      async () => ((await Promise.all(['a', 'n', 'c'].map(state))).every((s) => s === 'stopped') ? true : undefined),
      60_000,
    )
    expect((await server.api('PUT', '/settings', { gatewayIdleMinutes: 0 })).status).toBe(200)
    await waitFor('the GPU back to its idle use', async () => ((await usedMiB()) === baseUsedMiB ? true : undefined), 30_000)
    await waitFor('no reservations left', async () => ((await planner()).gpus[0]!.reservations.length === 0 ? true : undefined))
    const g = (await planner()).gpus[0]!
    expect(g.freeBytes).toBeGreaterThan(0.9 * g.totalBytes - g.externalBytes)
    expect(g.roomFor.sort()).toEqual(expect.arrayContaining(['a', 'c', 'n']))
  })

  it('the second start of n uses its learned footprint: no discovery', async () => {
    expect((await ask('n')).choices).toHaveLength(1)
    const starts = await startsOf('n')
    expect(starts).toHaveLength(2)
    expect(starts[0]!.reason).toMatch(/^started n on GPU 0 at 0\.\d+ \(.* per GPU: learned from 1 load: /)
    expect(starts[0]!.reason).not.toMatch(/discovery|estimated/)
    await waitFor('n’s footprint from 2 loads', async () =>
      (await getDeployment(server, ids.n!)).footprint?.loads === 2 ? true : undefined,
    )
  })

  it('a streaming request is not cut by an eviction: the new model waits for it to finish, then starts', async () => {
    const prompt = 'Tell me a long story'
    const expected = completionWords(renderChat([{ role: 'user', content: prompt }]), 0)
    const s = await stream('n', prompt)
    await s.started
    // big fits only without n, which is busy: the planner waits for the stream rather than stop n under it.
    const bigAnswer = ask('big').then((r) => ({ r, at: Date.now() }))
    await waitFor(
      'the planner waiting for n’s requests',
      async () =>
        (await decisions()).some((d) => d.kind === 'wait' && d.model === 'big' && /Waiting for requests to finish/.test(d.reason)) ||
        undefined,
    )
    const a = await s.read
    expect(a).toMatchObject({ text: expected.join(' '), tokens: expected.length, usageTokens: expected.length, finish: 'stop', done: true })
    const b = await bigAnswer
    expect(b.r.choices).toHaveLength(1)
    expect(b.at).toBeGreaterThanOrEqual(a.endedAt)
    expect([await state('n'), await state('big')]).toEqual(['stopped', 'ready'])
    const evictions = (await decisions()).filter((d) => d.kind === 'evict' && d.model === 'big')
    expect(evictions.map((d) => d.reason)).toEqual([expect.stringMatching(/^stopped n: /)])
  })

  it('footprints survive a restart of the server: the next start of n uses them', async () => {
    await server.kill('SIGTERM')
    await startServer()
    const fp = await waitFor('n’s footprint after the restart', async () => (await getDeployment(server, ids.n!)).footprint ?? undefined)
    expect(fp).toMatchObject({ source: 'learned', loads: 2 })
    expect((await ask('n')).choices).toHaveLength(1)
    const [start] = await startsOf('n')
    expect(start!.reason).toMatch(/^started n on GPU 0 at 0\.\d+ \(.* per GPU: learned from 2 loads: /)
    expect((await decisions()).filter((d) => d.model === 'n').map((d) => d.reason)).not.toContainEqual(expect.stringMatching(/discovery/))
  })
})
