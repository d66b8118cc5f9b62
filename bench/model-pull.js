#!/usr/bin/env node
// @ts-check
// Model downloads vs curl, on the Hub stand-in (a separate process), in one run:
// - big: inferadmin-sim/big-4g (4 × 1 GiB safetensors + small files, generated on the fly);
// - small: inferadmin-sim/many-small (200 files of 100 KB–5 MB: per-request overhead dominates).
// Ours = the app's pull job (stream per file, sha256/git-sha1 of every file before the rename, sidecar,
// atomic renames; on the app's transfer thread, one for all rounds; files ≥ 64 MiB written with O_DIRECT),
// start → done. curl = one process per file, no verification (big: all files at once;
// small: 8 at a time, the app's connection count); curlParallel (small only) = ONE curl with --parallel
// (8 connections, kept alive). Rounds alternate which goes first (both then write into page cache freed by
// the other); medians are printed. Also ours: CPU seconds per GiB (whole process: main thread, transfer
// thread, libuv threads, CPU pool) and the main thread's event-loop delay p99/max (ms) during the pull.
// ONE JSON line.
import { execSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { build } from 'esbuild'
import { register } from 'tsx/esm/api'

register()
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const root = new URL('..', import.meta.url).pathname
const GiB = 1024 ** 3

/** @returns {Promise<{ url: string, proc: import('node:child_process').ChildProcess }>} */
function startSim() {
  const proc = spawn(process.execPath, [join(root, 'test/sim/hub/server.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, INFERADMIN_SIM_MANY_SMALL: '1' },
  })
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: /** @type {import('node:stream').Readable} */ (proc.stdout) })
    lines.once('line', (l) => resolve({ url: JSON.parse(l).url, proc }))
    proc.once('exit', (c) => reject(new Error(`hub stand-in exited with ${c}`)))
  })
}

/** @param {string[]} args */
const run = (args) =>
  new Promise((resolve, reject) => {
    // stderr ignored: curl --parallel draws a progress meter even with -s
    const p = spawn('curl', args, { stdio: ['ignore', 'ignore', 'ignore'] })
    p.once('exit', (c) => (c === 0 ? resolve(undefined) : reject(new Error(`curl exited ${c}`))))
  })

/** @template T @param {T[]} items @param {number} n @param {(t: T, i: number) => Promise<unknown>} fn */
async function limited(items, n, fn) {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        await fn(/** @type {T} */ (items[i]), i)
      }
    }),
  )
}

const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const r1 = (/** @type {number} */ x) => Math.round(x * 10) / 10
const r2 = (/** @type {number} */ x) => Math.round(x * 100) / 100

// The transfer thread as the app runs it: its entry bundled like the build does (not through tsx, whose
// loader compiles it again in every new thread); packages resolve from the project's node_modules.
const bundles = join(root, 'node_modules/.cache/inferadmin-bench')
const transferWorker = { file: join(bundles, `transfer-worker-${process.pid}.mjs`) }
await build({
  entryPoints: [join(root, 'src/main/core/models/transfer-worker.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile: transferWorker.file,
  logLevel: 'warning',
})
// one transfer thread for every round, as the app keeps one for all its downloads
const { TransferThread } = await import('../src/main/core/models/transfer-thread.ts')
const { IoLimiter } = await import('../src/main/core/workers/io-limiter.ts')
const transfers = new TransferThread({ entry: transferWorker, io: new IoLimiter(8), logger: { info() {}, warn() {} } })
const sim = await startSim()
const work = mkdtempSync(join(tmpdir(), 'inferadmin-bench-'))
/** @type {typeof import('../test/models/support.ts')} */
const support = await import('../test/models/support.ts')
/** @type {Record<string, unknown>} */
const out = {}
try {
  for (const [name, repo, curlAtOnce] of /** @type {const} */ ([
    ['big', 'inferadmin-sim/big-4g', Infinity],
    ['small', 'inferadmin-sim/many-small', 8],
  ])) {
    // warm-up outside the timing: the stand-in hashes its generated files on the first listing
    const s0 = await support.makeStore(sim.url, { store: join(work, 'warm') })
    const plan = await s0.models.plan(repo)
    await s0.dispose()
    const files = plan.files.filter((f) => f.selected)
    const bytes = files.reduce((a, f) => a + f.size, 0)
    const urls = files.map((f) => `${sim.url}/${repo}/resolve/${plan.commit}/${f.path}`)
    /** @type {Record<string, number[]>} */
    const m = { ours: [], curl: [], curlParallel: [], cpu: [], eldP99: [], eldMax: [] }

    const ours = async () => {
      // the app's O_DIRECT threshold (the tests' support lowers it)
      const tuning = { stallMs: 30_000, directBytes: undefined }
      const s = await support.makeStore(sim.url, { store: join(work, 'hub'), tuning, transfers })
      execSync('sync') // no dirty pages from the previous phase
      const h = monitorEventLoopDelay({ resolution: 5 })
      h.enable()
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const job = await s.models.pull({ repo })
      const done = await s.waitJob(job.id, ['done', 'failed', 'paused'], 600_000)
      const seconds = (performance.now() - t0) / 1000
      const cpu = process.cpuUsage(c0)
      h.disable()
      if (done.state !== 'done') throw new Error(`pull ended ${done.state}: ${done.error?.message}`)
      await s.dispose()
      rmSync(join(work, 'hub'), { recursive: true, force: true })
      m.ours?.push(bytes / 1024 ** 2 / seconds)
      m.cpu?.push((cpu.user + cpu.system) / 1e6 / (bytes / GiB))
      m.eldP99?.push(h.percentile(99) / 1e6)
      m.eldMax?.push(h.max / 1e6)
    }
    const curl = async () => {
      const dir = join(work, 'curl')
      execSync('sync')
      const t0 = performance.now()
      await limited(urls, curlAtOnce, (u, i) => run(['-sSfL', '--create-dirs', '-o', join(dir, String(i)), u]))
      m.curl?.push(bytes / 1024 ** 2 / ((performance.now() - t0) / 1000))
      rmSync(dir, { recursive: true, force: true })
      if (curlAtOnce === Infinity) return
      execSync('sync')
      const t1 = performance.now()
      const args = ['-sSfL', '--parallel', '--parallel-max', '8', '--create-dirs']
      urls.forEach((u, i) => args.push('-o', join(dir, String(i)), u))
      await run(args)
      m.curlParallel?.push(bytes / 1024 ** 2 / ((performance.now() - t1) / 1000))
      rmSync(dir, { recursive: true, force: true })
    }
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        await curl()
        await ours()
      } else {
        await ours()
        await curl()
      }
    }
    const ourMiBs = r1(median(m.ours ?? []))
    const curlMiBs = r1(median(m.curl ?? []))
    out[name] = {
      repo,
      files: files.length,
      bytes,
      ourMiBs,
      curlMiBs,
      ratio: r2(ourMiBs / curlMiBs),
      ...(m.curlParallel?.length
        ? { curlParallelMiBs: r1(median(m.curlParallel)), ratioParallel: r2(ourMiBs / median(m.curlParallel)) }
        : {}),
      cpuSecondsPerGiB: r2(median(m.cpu ?? [])),
      eventLoopDelayP99Ms: r1(median(m.eldP99 ?? [])),
      eventLoopDelayMaxMs: r1(median(m.eldMax ?? [])),
      runs: { ours: (m.ours ?? []).map(r1), curl: (m.curl ?? []).map(r1), eventLoopDelayP99Ms: (m.eldP99 ?? []).map(r1) },
    }
  }
  const big = /** @type {{ ratio: number }} */ (out.big)
  const small = /** @type {{ ratio: number }} */ (out.small)
  process.stdout.write(
    `${JSON.stringify({ ...out, rounds: ROUNDS, cpus: availableParallelism(), loadavg1m: r1(loadavg()[0] ?? 0), goals: { bigRatio08: big.ratio >= 0.8, smallRatio08: small.ratio >= 0.8 }, note: 'medians over rounds; ours verifies every byte, curl nothing; the stand-in shares the CPUs' })}\n`,
  )
} finally {
  sim.proc.kill('SIGTERM')
  rmSync(work, { recursive: true, force: true })
  await transfers.dispose()
  rmSync(transferWorker.file, { force: true })
}
