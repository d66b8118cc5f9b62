import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { beforeAll, describe, expect, it } from 'vitest'
import type { DeploymentSpecInput } from '../../src/shared/contract/deployments'
import type { GpusSnapshot } from '../../src/shared/contract/gpu'
import type { PlannerDecision } from '../../src/shared/contract/planner'
import { completionWords, renderChat } from '../sim/vllm/generate.js'
import { createDeployment, getDeployment, waitFor } from '../deployments/support'
import { chatModels, gpu0, usePlannerSim } from './support'

// #16 acceptance on the simulated workstation, one server and home through a model's life on one RTX 4090:
// discovery load beside a running model → footprint persisted → three models together → idle unload frees the GPU →
// the next start uses the footprint → a stream is never cut by an eviction → the footprint survives a restart.
const sim = usePlannerSim({
  home: 'inferadmin-lifecycle-',
  models: chatModels('life-', ['a', 'n', 'c', 'big']),
  // Idle unload off until the test that turns it on (0 = never).
  settings: { gatewayIdleMinutes: 0 },
})
const { ids, planner, state, ask } = sim
let baseUsedMiB: number
/** Slow tokens on n: a stream lasts seconds (12–24 words at 2/s). */
const STREAM_TOKENS_PER_S = '2'

const decisions = (): Promise<PlannerDecision[]> => sim.decisions(200)
const startsOf = async (name: string): Promise<PlannerDecision[]> =>
  (await decisions()).filter((d) => d.kind === 'start' && d.model === name)
const usedMiB = async (): Promise<number> =>
  (await sim.server.api<GpusSnapshot>('GET', '/gpus')).body.gpus.find((g) => g.uuid === gpu0.uuid)!.memoryUsedMiB!
const footprintFile = (): { footprints: { key: string; loads: number }[] } =>
  JSON.parse(readFileSync(join(sim.home, 'planner', 'footprints.json'), 'utf8')) as { footprints: { key: string; loads: number }[] }

/** A streamed chat completion through the gateway, read to its end: text, finish reason, whether [DONE] came, when. */
async function stream(name: string, prompt: string) {
  const res = await fetch(`${sim.gatewayUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: sim.repos[name],
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
  baseUsedMiB = await waitFor(
    'a GPU sample',
    async () => (await sim.server.api<GpusSnapshot>('GET', '/gpus')).body.gpus[0] && (await usedMiB()),
  )
  const create = async (name: string, extra: Partial<DeploymentSpecInput> = {}): Promise<string> =>
    (await createDeployment(sim.server, sim.spec(name, extra))).definition.id
  ids.a = await create('a')
  ids.n = await create('n', { env: { INFERADMIN_SIM_SPEED: '4', INFERADMIN_SIM_TOKENS_PER_S: STREAM_TOKENS_PER_S } })
  ids.c = await create('c')
  // 4 × 40,960 tokens of KV (~17.5 GiB) + its fixed need: fits on the card only without n beside it.
  ids.big = await create('big', { memory: { mode: 'auto', contextTokens: 40_960, sequences: 4 } })
}, 60_000)

describe('a model’s life with the memory planner', { shuffle: false }, () => {
  it('an unknown model’s first request runs a discovery load beside a running model and persists its footprint', async () => {
    await ask('a')
    const aContainer = (await getDeployment(sim.server, ids.a!)).status.containerId
    expect((await getDeployment(sim.server, ids.n!)).footprint ?? null).toBeNull()
    expect((await ask('n')).choices).toHaveLength(1)
    const [start] = await startsOf('n')
    expect(start!.reason).toMatch(/^started n on GPU 0 at 0\.\d+ \(.* per GPU: discovery load \(nothing learned yet\), estimated /)
    // a kept running the whole time: same container, nothing evicted.
    const a = await getDeployment(sim.server, ids.a!)
    expect([a.status.state, a.status.containerId]).toEqual(['ready', aContainer])
    expect((await decisions()).filter((d) => d.kind === 'evict')).toEqual([])
    const fp = await waitFor('n’s footprint learned', async () => {
      const f = (await getDeployment(sim.server, ids.n!)).footprint
      return f?.loads === 1 ? f : undefined
    })
    expect(fp).toMatchObject({ source: 'learned', loads: 1, failures: 0 })
    await waitFor('the footprint file', () => existsSync(join(sim.home, 'planner', 'footprints.json')) || undefined)
    const record = await waitFor('n’s record on disk', () => footprintFile().footprints.find((f) => f.key.includes(sim.commits.n!)))
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
      const d = await getDeployment(sim.server, ids[n]!)
      expect(d.status.diagnosis?.reason ?? '').not.toMatch(/Free memory on device/)
      const log = (await sim.server.api<{ lines: { text: string }[] }>('GET', `/deployments/${ids[n]}/logs?tail=400`)).body.lines
      expect(log.map((l) => l.text).filter((t) => /Free memory on device .* is less than desired GPU memory utilization/.test(t))).toEqual(
        [],
      )
    }
  })

  it('idle models are shut down and their memory is free again', async () => {
    expect(await usedMiB()).toBeGreaterThan(baseUsedMiB + 3 * 1024)
    expect((await sim.server.api('PUT', '/settings', { gatewayIdleMinutes: 0.01 })).status).toBe(200) // 0.6 s
    await waitFor(
      'a, n and c stopped',
      async () => ((await Promise.all(['a', 'n', 'c'].map(state))).every((s) => s === 'stopped') ? true : undefined),
      60_000,
    )
    expect((await sim.server.api('PUT', '/settings', { gatewayIdleMinutes: 0 })).status).toBe(200)
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
      (await getDeployment(sim.server, ids.n!)).footprint?.loads === 2 ? true : undefined,
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
    await sim.server.kill('SIGTERM')
    await sim.serve()
    const fp = await waitFor(
      'n’s footprint after the restart',
      async () => (await getDeployment(sim.server, ids.n!)).footprint ?? undefined,
    )
    expect(fp).toMatchObject({ source: 'learned', loads: 2 })
    expect((await ask('n')).choices).toHaveLength(1)
    const [start] = await startsOf('n')
    expect(start!.reason).toMatch(/^started n on GPU 0 at 0\.\d+ \(.* per GPU: learned from 2 loads: /)
    expect((await decisions()).filter((d) => d.model === 'n').map((d) => d.reason)).not.toContainEqual(expect.stringMatching(/discovery/))
  })
})
