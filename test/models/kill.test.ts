/**
 * kill -9 at random points of 20 pulls (#18): a pull runs in a child process (pull-child.ts, the real
 * services on a fixed home) and is SIGKILLed when the Hub stand-in has sent it a seeded random number of
 * body bytes, or when it starts linking the snapshot; then started again (it resumes the persisted job),
 * sometimes killed again, and finally left to finish. After every kill: every file visible under
 * snapshots/ is a link to a complete blob with the right checksum, no partial is ever there, a blob
 * exists only verified, and refs/main appears only with the whole snapshot. A partial written by one
 * stream (no sidecar) is resumed from its end, less at most one chunk.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gitSha1 as contentGitSha1 } from '../sim/hub/content.js'
import { startHubSim } from '../sim/hub/server.js'
import { makeStore, TINY, walk } from './support'

type Sim = Awaited<ReturnType<typeof startHubSim>>
const repoRoot = resolve(import.meta.dirname, '../..')
const CHUNK = 1 << 20 // pull-child.ts's chunk size
const SEED = 0x18_2026
const PULLS = 20
const SHARDS = ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']
const PULL_BYTES = 7_400_000
/** Two lanes of pulls run side by side, each on its own stand-in (so kill triggers count one child's bytes). */
const LANES = 2
const lanes: { sim: Sim; commit: string; onSent?: (n: number) => void }[] = []
let child = ''
let worker = ''
/** sha256 of each file of tiny-chat's main commit, from the stand-in's own content. */
const expected = new Map<string, string>()
/** Blob name (sha256 or git sha1) → repo path. */
const pathOf = new Map<string, string>()
/** The default selection of a pull (what a finished snapshot holds). */
let defaultFiles: string[] = []

/** mulberry32: the same kill points every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

beforeAll(async () => {
  // bundled once (the children start in ~0.3 s instead of ~1.5 s through tsx); packages stay external,
  // resolved from the project's node_modules, where the bundle lives
  const dir = join(repoRoot, 'node_modules/.cache/inferadmin-test')
  mkdirSync(dir, { recursive: true })
  child = join(dir, `pull-child-${process.pid}.mjs`)
  worker = join(dir, `transfer-worker-${process.pid}.mjs`)
  await build({
    entryPoints: {
      [`pull-child-${process.pid}`]: join(import.meta.dirname, 'pull-child.ts'),
      // the child's downloads run on the transfer thread: its entry, bundled the same way
      [`transfer-worker-${process.pid}`]: join(repoRoot, 'src/main/core/models/transfer-worker.ts'),
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  })
  for (let i = 0; i < LANES; i++) {
    const sim = await startHubSim({ catalogue: false })
    const lane: (typeof lanes)[number] = { sim, commit: sim.repos.get(TINY)?.refs.main ?? '' }
    // slow enough that a pull takes a few hundred ms, so kills land in every phase
    lane.sim.faults.throttle({ bytesPerSec: 24 << 20, onSent: (n: number) => lane.onSent?.(n) })
    lanes.push(lane)
  }
  // the stand-ins make the same files (their commit ids differ: they carry a time)
  const sim = lanes[0]?.sim as Sim
  for (const [path, content] of sim.repos.get(TINY)?.commits.get(lanes[0]?.commit ?? '')?.files ?? []) {
    expected.set(path, await content.sha256())
    pathOf.set(await content.sha256(), path)
    pathOf.set(await contentGitSha1(content), path)
  }
  const s = await makeStore(sim.url)
  defaultFiles = (await s.models.plan(TINY)).files.filter((f) => f.selected).map((f) => f.path)
  await s.dispose()
})
afterAll(async () => {
  for (const l of lanes) await l.sim.close()
  if (child) rmSync(child, { force: true })
  if (worker) rmSync(worker, { force: true })
})

type Kill = { bytes: number } | 'linking' | 'never'

/** One run of the child: killed at `kill`; resolves with how it ended and when it started. */
async function runChild(
  lane: (typeof lanes)[number],
  home: string,
  files: string[] | undefined,
  kill: Kill,
): Promise<{ end: string; startedAt: number }> {
  const startedAt = Date.now()
  const args = [child, lane.sim.url, home, TINY, ...(files ? [files.join(',')] : [])]
  const env = { ...process.env, INFERADMIN_TEST_TRANSFER_WORKER: worker }
  const proc = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()))
  let end = 'exited'
  const killNow = (): void => {
    if (proc.exitCode !== null || proc.killed) return
    proc.kill('SIGKILL')
    end = 'killed'
  }
  let sent = 0
  if (typeof kill === 'object')
    lane.onSent = (n) => {
      sent += n
      if (sent >= kill.bytes) killNow()
    }
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const m = JSON.parse(line) as { message?: string; exit?: string; error?: string }
    if (kill === 'linking' && m.message === 'Linking the snapshot') killNow()
    if (m.exit && end !== 'killed') end = m.exit === 'done' ? 'done' : `${m.exit}: ${m.error}`
  })
  const code = await new Promise<number | null>((r) => proc.once('exit', r))
  lane.onSent = undefined
  if (end === 'exited') end = `exit ${code}: ${err.slice(-2000)}`
  return { end, startedAt }
}

const gitSha1 = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex')
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** The invariants that must hold whenever the process dies; returns sidecar-less partials (etag → size). */
function checkStore(root: string, commit: string, want: string[]): Map<string, number> {
  if (!existsSync(root)) return new Map()
  const blobs = join(root, 'blobs')
  const names = existsSync(blobs) ? readdirSync(blobs) : []
  for (const b of names) {
    if (b.includes('.incomplete')) continue
    // a blob under its final name is complete and verified
    const data = readFileSync(join(blobs, b))
    expect(b.length === 64 ? sha256(data) : gitSha1(data), `blob ${b}`).toBe(b)
  }
  const snaps = join(root, 'snapshots')
  const linked = existsSync(snaps) ? walk(snaps) : []
  for (const f of linked) {
    expect(f, 'only the commit under snapshots/').toMatch(new RegExp(`^${commit}/`))
    expect(f).not.toMatch(/incomplete/)
    const path = f.slice(commit.length + 1)
    const link = join(snaps, f)
    expect(lstatSync(link).isSymbolicLink(), f).toBe(true)
    const target = readlinkSync(link).split('/').at(-1) ?? ''
    expect(names, `${f} → an existing blob`).toContain(target)
    expect(sha256(readFileSync(link)), f).toBe(expected.get(path))
  }
  if (existsSync(join(root, 'refs', 'main'))) {
    expect(readFileSync(join(root, 'refs', 'main'), 'utf8')).toBe(commit)
    expect(linked.map((f) => f.slice(commit.length + 1)).sort(), 'refs/main only with the whole snapshot').toEqual([...want].sort())
  }
  const prefixes = new Map<string, number>()
  for (const b of names)
    if (b.endsWith('.incomplete') && !names.includes(`${b}.json`))
      prefixes.set(b.slice(0, -'.incomplete'.length), statSync(join(blobs, b)).size)
  return prefixes
}

interface Tally {
  kills: number
  resumedPrefixes: number
}

/** One pull: killed at seeded points, started again each time, left to finish at the end. */
async function onePull(lane: (typeof lanes)[number], pull: number, rand: () => number, tally: Tally): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'inferadmin-kill9-'))
  // odd pulls: three files, so the 6 MiB shard is split into ranged streams (sidecar from the start)
  const files = pull % 2 === 1 ? SHARDS : undefined
  const want = files ?? defaultFiles
  const root = join(home, 'hub', `models--${TINY.replace('/', '--')}`)
  const plan: Kill[] = [rand() < 0.15 ? 'linking' : { bytes: Math.floor(rand() * PULL_BYTES) }]
  if (rand() < 0.35) plan.push({ bytes: Math.floor(rand() * PULL_BYTES * 0.5) })
  plan.push('never')
  for (const kill of plan) {
    const before = checkStore(root, lane.commit, want)
    const run = await runChild(lane, home, files, kill)
    const label = `pull ${pull}, kill ${JSON.stringify(kill)}`
    if (kill === 'never') expect(run.end, label).toBe('done')
    else expect(['killed', 'done'], `${label}: ${run.end}`).toContain(run.end)
    if (run.end === 'killed') tally.kills++
    checkStore(root, lane.commit, want)
    // a partial without a sidecar is a prefix: the next run asks only for what follows it, less one chunk
    for (const [etag, size] of before) {
      const starts = lane.sim.log
        .filter((e) => e.t >= run.startedAt && (e.status === 206 || e.status === 200) && e.file === pathOf.get(etag))
        .map((e) => Number(/^bytes=(\d+)-/.exec(e.range ?? '')?.[1] ?? 0))
      if (starts.length === 0) continue
      tally.resumedPrefixes++
      expect(Math.min(...starts), `${label}: resume of ${pathOf.get(etag)}`).toBeGreaterThanOrEqual(size - CHUNK)
    }
    if (run.end === 'done') break
  }
  // the end: the whole selection linked and verified, nothing partial left
  expect(walk(join(root, 'snapshots', lane.commit)).sort()).toEqual([...want].sort())
  expect(walk(root).filter((f) => f.includes('incomplete'))).toEqual([])
  checkStore(root, lane.commit, want)
  expect(readFileSync(join(root, 'refs', 'main'), 'utf8')).toBe(lane.commit)
  rmSync(home, { recursive: true, force: true })
}

describe('kill -9 at random points of a pull', () => {
  it(`${PULLS} pulls, each killed at seeded points, resume to a valid cache; no partial is ever in a snapshot`, async () => {
    const tally: Tally = { kills: 0, resumedPrefixes: 0 }
    await Promise.all(
      lanes.map(async (lane, i) => {
        const rand = rng(SEED + i)
        for (let pull = i; pull < PULLS; pull += LANES) await onePull(lane, pull, rand, tally)
      }),
    )
    // the seed must have produced real kills (not pulls that all finished first) and real resumes
    expect(tally.kills).toBeGreaterThanOrEqual(PULLS)
    expect(tally.resumedPrefixes).toBeGreaterThan(0)
  }, 120_000)
})
