#!/usr/bin/env node
// @ts-check
/**
 * `npm run test:stress`: shakes the vitest suite for tests that pass or fail by the clock or by order.
 * Runs the unit and sim projects several times, each with a different shuffle seed (files and the tests
 * inside them in random order), and one of the repetitions with a CPU hog beside it (one busy process per
 * core, like CI's dockerd + Chromium + stand-ins on 2 cores). Prints one line per run and a JSON summary;
 * exits 1 if any run failed, naming the seed to replay it with
 * `npx vitest run --sequence.shuffle --sequence.seed=<seed>`.
 *
 *   npm run test:stress                       5 runs, the last one under CPU load
 *   npm run test:stress -- --runs 3 --hog 0   3 runs, the first under load
 *   npm run test:stress -- --project unit     only the unit project
 *   npm run test:stress -- --seed 1234        reproducible seeds (1234, 1235, …)
 *   npm run test:stress -- --no-build         skip the build (some tests run the built server in out/)
 */
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    hog: { type: 'string' },
    project: { type: 'string', multiple: true },
    seed: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
})
const runs = Math.max(1, Number(values.runs) || 5)
const hogRun = values.hog === undefined ? runs - 1 : Number(values.hog)
const projects = values.project?.length ? values.project : ['unit', 'sim']
const baseSeed = values.seed === undefined ? Math.floor(Math.random() * 1e6) : Number(values.seed)

/** One busy child per core; returns a function that stops them. */
function startHog() {
  const kids = Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
  return () => {
    for (const k of kids) k.kill('SIGKILL')
  }
}

/**
 * @param {number} seed
 * @returns {Promise<number>}
 */
function vitest(seed) {
  const args = ['vitest', 'run', ...projects.flatMap((p) => ['--project', p])]
  args.push('--sequence.shuffle', `--sequence.seed=${seed}`, '--reporter=dot')
  return new Promise((resolve) => {
    const child = spawn('npx', args, { stdio: 'inherit' })
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}

if (!values['no-build']) {
  process.stdout.write('== build (tests of the headless server run out/main)\n')
  const code = await new Promise((resolve) => spawn('npm', ['run', 'build', '--silent'], { stdio: 'inherit' }).once('exit', resolve))
  if (code !== 0) process.exit(1)
}

const results = []
for (let i = 0; i < runs; i++) {
  const seed = baseSeed + i
  const loaded = i === hogRun
  process.stdout.write(`\n== stress run ${i + 1}/${runs}: seed ${seed}${loaded ? ', CPU hog beside it' : ''}\n`)
  const stopHog = loaded ? startHog() : () => {}
  const t0 = Date.now()
  let code
  try {
    code = await vitest(seed)
  } finally {
    stopHog()
  }
  results.push({ run: i + 1, seed, hog: loaded, ok: code === 0, seconds: Math.round((Date.now() - t0) / 1000) })
  process.stdout.write(`== stress run ${i + 1}/${runs}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`}\n`)
}

const failed = results.filter((r) => !r.ok)
process.stdout.write(`\n${JSON.stringify({ projects, runs: results }, null, 2)}\n`)
process.stdout.write(`stress: ${results.length} runs, ${failed.length} failed`)
process.stdout.write(failed.length ? ` (replay: npx vitest run --sequence.shuffle --sequence.seed=${failed[0]?.seed})\n` : '\n')
process.exit(failed.length ? 1 : 0)
