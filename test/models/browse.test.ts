import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { downloadableSeeds } from '../sim/hub/catalogue.js'
import { startHubSim } from '../sim/hub/server.js'
import { seedModel } from '../sim/seed.js'
import { makeStore, type Store } from './support'

// The model store's Hub search and update check against the Hub stand-in's catalogue (test/sim/hub/catalogue.json).
let sim: Awaited<ReturnType<typeof startHubSim>>
let s: Store | undefined

beforeAll(async () => {
  sim = await startHubSim()
})
afterAll(async () => {
  await sim.close()
})
afterEach(async () => {
  await s?.dispose()
  s = undefined
})

describe('browse and search', () => {
  it('an empty query lists the Hub by downloads (or trending), with sizes and parameters', async () => {
    s = await makeStore(sim.url)
    const top = await s.models.search('', 'downloads', 20)
    expect(top).toHaveLength(20)
    expect(top[0]?.repo).toBe('sentence-transformers/all-MiniLM-L6-v2')
    expect(top.map((r) => r.downloads)).toEqual([...top.map((r) => r.downloads)].sort((a, b) => b - a))
    const qwen = top.find((r) => r.repo === 'Qwen/Qwen3-8B')
    expect(qwen).toMatchObject({ parameters: 8_190_735_360, pipelineTag: 'text-generation', gated: false, local: false })
    expect((qwen?.downloadBytes ?? 0) / 1e9).toBeGreaterThan(16)
    // gated: the tree is not listable without access, so no size
    expect(top.find((r) => r.repo === 'meta-llama/Llama-3.1-8B-Instruct')).toMatchObject({ gated: 'manual', downloadBytes: undefined })
    expect((await s.models.search('', 'trending', 1))[0]?.repo).toBe('openai/gpt-oss-20b')
  })

  it('"Qwen3" and "Llama" find the well-known repositories', async () => {
    s = await makeStore(sim.url)
    const qwen3 = (await s.models.search('Qwen3', 'downloads', 20)).map((r) => r.repo)
    expect(qwen3).toEqual(expect.arrayContaining(['Qwen/Qwen3-0.6B', 'Qwen/Qwen3-8B', 'Qwen/Qwen3-32B']))
    expect((await s.models.search('Llama', 'downloads', 20)).map((r) => r.repo)).toContain('meta-llama/Llama-3.1-8B-Instruct')
  })
})

describe('update check of a seeded store', () => {
  it('the seeded copy of a catalogue model is up to date; a model the Hub lacks reports why and what to do', async () => {
    s = await makeStore(sim.url)
    const seed = downloadableSeeds().find((d) => d.repo === 'sentence-transformers/all-MiniLM-L6-v2')!
    const seeded = await seedModel(s.store, seed)
    await seedModel(s.store, { kind: 'embed', repo: 'inferadmin-sim/tiny-embed' })
    const list = await s.models.checkUpdates()
    const copy = list.find((m) => m.repo === seed.repo)
    expect(copy?.update).toMatchObject({ updateAvailable: false, localCommit: seeded.commit, remoteCommit: seeded.commit })
    expect(copy?.update?.error).toBeUndefined()
    const orphan = list.find((m) => m.repo === 'inferadmin-sim/tiny-embed')
    expect(orphan?.update?.updateAvailable).toBe(false)
    expect(orphan?.update?.error).toMatch(
      /^Repository inferadmin-sim\/tiny-embed was not found on http:\/\/127\.0\.0\.1:\d+\. Check the name/,
    )
  })
})
