import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { listFiles, listModels, modelInfo } from '@huggingface/hub'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogueEntries, downloadableSeeds } from './hub/catalogue.js'
import { startHubSim } from './hub/server.js'
import { seedModel } from './seed.js'

// The Hub stand-in's catalogue (hub/catalogue.json) through the real @huggingface/hub client: browsing without a
// query, searching, listed-only repositories and the downloadable ones that seed.js writes byte for byte.
let hub: Awaited<ReturnType<typeof startHubSim>>
const dirs: string[] = []

beforeAll(async () => {
  hub = await startHubSim()
})
afterAll(async () => {
  await hub.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function browse(o: { query?: string; sort?: 'downloads' | 'trendingScore'; limit?: number }) {
  const out: { name: string; downloads: number; task?: string; params?: number }[] = []
  for await (const m of listModels({
    search: o.query ? { query: o.query } : undefined,
    sort: o.sort ?? 'downloads',
    limit: o.limit ?? 20,
    additionalFields: ['safetensors'],
    hubUrl: hub.url,
  }))
    out.push({ name: m.name, downloads: m.downloads, task: m.task, params: m.safetensors?.total })
  return out
}

describe('Hub stand-in catalogue', () => {
  it('holds a few dozen well-known repositories with real-looking metadata', () => {
    const all = catalogueEntries()
    expect(all.length).toBeGreaterThanOrEqual(30)
    const ids = all.map((e) => e.id)
    for (const id of ['Qwen/Qwen3-8B', 'meta-llama/Llama-3.1-8B-Instruct', 'BAAI/bge-m3', 'openai/whisper-large-v3'])
      expect(ids).toContain(id)
    expect(ids.some((i) => i.startsWith('mistralai/'))).toBe(true)
    expect(ids.some((i) => i.startsWith('google/gemma-'))).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    for (const e of all) {
      expect(e.id).toMatch(/^[\w.-]+\/[\w.-]+$/)
      expect(e.downloads).toBeGreaterThan(0)
      expect(Date.parse(e.lastModified)).toBeGreaterThanOrEqual(Date.parse(e.createdAt))
      expect(Boolean(e.files) !== Boolean(e.seed)).toBe(true)
    }
  })

  it('browsing without a query lists the most downloaded first, 20 to a page', async () => {
    const page = await browse({})
    expect(page).toHaveLength(20)
    expect(page.map((m) => m.downloads)).toEqual([...page.map((m) => m.downloads)].sort((a, b) => b - a))
    expect(page[0]).toMatchObject({ name: 'sentence-transformers/all-MiniLM-L6-v2', task: 'sentence-similarity' })
    expect(page.find((m) => m.name === 'Qwen/Qwen3-0.6B')).toMatchObject({ task: 'text-generation' })
    expect(page.find((m) => m.name === 'meta-llama/Llama-3.1-8B-Instruct')?.params).toBe(8_030_261_248)
    const trending = await browse({ sort: 'trendingScore', limit: 3 })
    expect(trending[0]?.name).toBe('openai/gpt-oss-20b')
  })

  it('search matches repository ids case-insensitively (Qwen3, llama)', async () => {
    const qwen3 = (await browse({ query: 'Qwen3', limit: 50 })).map((m) => m.name)
    expect(qwen3).toContain('Qwen/Qwen3-8B')
    expect(qwen3).toContain('Qwen/Qwen3-0.6B')
    expect(qwen3.every((n) => n.toLowerCase().includes('qwen3'))).toBe(true)
    expect((await browse({ query: 'llama' })).map((m) => m.name)).toContain('meta-llama/Llama-3.1-8B-Instruct')
    expect(await browse({ query: 'no-such-model-anywhere' })).toEqual([])
  })

  it('a listed-only repository answers model info, tree and HEAD with its sizes; a download is refused in words', async () => {
    const files: { path: string; size: number; lfs: boolean }[] = []
    for await (const f of listFiles({ repo: 'Qwen/Qwen3-8B', recursive: true, hubUrl: hub.url }))
      files.push({ path: f.path, size: f.size, lfs: Boolean(f.lfs) })
    const shards = files.filter((f) => f.path.endsWith('.safetensors'))
    expect(shards.map((f) => f.path)).toEqual([1, 2, 3, 4, 5].map((i) => `model-0000${i}-of-00005.safetensors`))
    const total = shards.reduce((a, f) => a + f.size, 0)
    expect(total / 1e9).toBeGreaterThan(16)
    expect(total / 1e9).toBeLessThan(17)
    expect(shards.every((f) => f.lfs)).toBe(true)
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['config.json', 'tokenizer.json', 'model.safetensors.index.json']))

    const info = await modelInfo({ name: 'Qwen/Qwen3-8B', hubUrl: hub.url, additionalFields: ['safetensors', 'sha'] })
    expect(info.safetensors?.total).toBe(8_190_735_360)
    expect(info.task).toBe('text-generation')
    expect(new Date(info.updatedAt).toISOString()).toBe('2025-07-26T12:00:00.000Z')

    const head = await fetch(`${hub.url}/Qwen/Qwen3-8B/resolve/main/config.json`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('728')
    expect(head.headers.get('x-repo-commit')).toBe(info.sha)
    const get = await fetch(`${hub.url}/Qwen/Qwen3-8B/resolve/main/model-00001-of-00005.safetensors`)
    await get.arrayBuffer()
    expect(get.status).toBe(403)
    expect(get.headers.get('x-error-message')).toMatch(/Qwen\/Qwen3-8B is in the simulated Hub's catalogue for browsing only/)
    expect(get.headers.get('x-error-message')).toContain('Downloadable here: Qwen/Qwen3-0.6B')
  })

  it('gated catalogue repositories keep the Hub rules: info public, files gated', async () => {
    const info = await modelInfo({ name: 'meta-llama/Llama-3.1-8B-Instruct', hubUrl: hub.url })
    expect(info.gated).toBe('manual')
    const tree = await fetch(`${hub.url}/api/models/meta-llama/Llama-3.1-8B-Instruct/tree/main`)
    await tree.arrayBuffer()
    expect([tree.status, tree.headers.get('x-error-code')]).toEqual([401, 'GatedRepo'])
  })

  it('a downloadable repository is byte for byte what seed.js writes: same commit, same blobs', async () => {
    const seed = downloadableSeeds().find((s) => s.repo === 'sentence-transformers/all-MiniLM-L6-v2')
    if (!seed) throw new Error('the catalogue lost its downloadable embedding model')
    const store = mkdtempSync(join(tmpdir(), 'inferadmin-catalogue-'))
    dirs.push(store)
    const seeded = await seedModel(store, seed)
    const repoDir = join(store, 'models--sentence-transformers--all-MiniLM-L6-v2')
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(seeded.commit)

    const head = await fetch(`${hub.url}/${seed.repo}/resolve/main/config.json`, { method: 'HEAD' })
    expect(head.headers.get('x-repo-commit')).toBe(seeded.commit)
    const remote = new Map<string, string>()
    for await (const f of listFiles({ repo: seed.repo, recursive: true, hubUrl: hub.url })) remote.set(f.path, String(f.lfs?.oid ?? f.oid))
    const local = new Map(readdirSync(seeded.snapshotDir).map((n) => [n, basename(readlinkSync(join(seeded.snapshotDir, n)))]))
    expect(remote).toEqual(local)
    // and the weights really download (the seeded bytes: header, a few tensors, zeros)
    const weights = await fetch(`${hub.url}/${seed.repo}/resolve/main/model.safetensors`, { headers: { range: 'bytes=0-7' } })
    expect(weights.status).toBe(206)
    expect(Buffer.from(await weights.arrayBuffer()).readBigUInt64LE(0)).toBeGreaterThan(0n)
  })
})
