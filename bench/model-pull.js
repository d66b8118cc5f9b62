#!/usr/bin/env node
// @ts-check
// Pulls inferadmin-sim/big-4g (4 × 1 GiB safetensors, generated on the fly) from the Hub stand-in
// (a separate process) with our transfer engine — parallel ranged chunks, sha256 in the CPU pool,
// atomic renames — then fetches the same files with curl (one process per file, in parallel, no
// verification) and prints ONE JSON line: {ourMiBs, curlMiBs, ratio, …}.
import { execSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { register } from 'tsx/esm/api'

register()
const REPO = 'inferadmin-sim/big-4g'
const root = new URL('..', import.meta.url).pathname

/** @returns {Promise<{ url: string, proc: import('node:child_process').ChildProcess }>} */
function startSim() {
  const proc = spawn(process.execPath, [join(root, 'test/sim/hub/server.js')], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: /** @type {import('node:stream').Readable} */ (proc.stdout) })
    lines.once('line', (l) => resolve({ url: JSON.parse(l).url, proc }))
    proc.once('exit', (c) => reject(new Error(`hub stand-in exited with ${c}`)))
  })
}

const sim = await startSim()
const work = mkdtempSync(join(tmpdir(), 'inferadmin-bench-'))
try {
  /** @type {import('../test/models/support.ts')} */
  const support = await import('../test/models/support.ts')
  const s = await support.makeStore(sim.url, { store: join(work, 'hub'), tuning: { stallMs: 30_000 } })
  // warm-up outside the timing: the stand-in hashes its generated files on the first listing
  const plan = await s.models.plan(REPO)
  const files = plan.files.filter((f) => f.selected)
  const bytes = files.reduce((a, f) => a + f.size, 0)

  execSync('sync') // start both measurements with no dirty pages from the previous phase
  const t0 = performance.now()
  const job = await s.models.pull({ repo: REPO })
  const done = await s.waitJob(job.id, ['done', 'failed', 'paused'], 600_000)
  const ourSeconds = (performance.now() - t0) / 1000
  if (done.state !== 'done') throw new Error(`pull ended ${done.state}: ${done.error?.message}`)
  await s.dispose()
  rmSync(join(work, 'hub'), { recursive: true, force: true })

  const curlDir = join(work, 'curl')
  execSync('sync')
  const t1 = performance.now()
  await Promise.all(
    files.map(
      (f, i) =>
        new Promise((resolve, reject) => {
          const p = spawn(
            'curl',
            ['-sSfL', '--create-dirs', '-o', join(curlDir, String(i)), `${sim.url}/${REPO}/resolve/${plan.commit}/${f.path}`],
            { stdio: 'inherit' },
          )
          p.once('exit', (c) => (c === 0 ? resolve(undefined) : reject(new Error(`curl exited ${c} for ${f.path}`))))
        }),
    ),
  )
  const curlSeconds = (performance.now() - t1) / 1000
  const mib = bytes / 1024 ** 2
  const ourMiBs = Math.round((mib / ourSeconds) * 10) / 10
  const curlMiBs = Math.round((mib / curlSeconds) * 10) / 10
  process.stdout.write(
    `${JSON.stringify({ ourMiBs, curlMiBs, ratio: Math.round((ourMiBs / curlMiBs) * 100) / 100, bytes, files: files.length, ourSeconds: Math.round(ourSeconds * 10) / 10, curlSeconds: Math.round(curlSeconds * 10) / 10, cpus: availableParallelism(), note: 'ours includes sha256 verification of every file (CPU pool) and shares the CPUs with the stand-in; curl verifies nothing' })}\n`,
  )
} finally {
  sim.proc.kill('SIGTERM')
  rmSync(work, { recursive: true, force: true })
}
