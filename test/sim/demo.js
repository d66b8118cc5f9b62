#!/usr/bin/env node
// @ts-check
/**
 * npm run demo [-- <inferadmin start options>]
 *
 * Try InferAdmin without a GPU: `sim up` (a Docker engine with stand-in GPUs, the simulated vLLM images, a
 * registry and the Hub stand-in), a temporary INFERADMIN_HOME prepared by demo-setup.js (a model store holding
 * the Hub stand-in's copies of Qwen/Qwen3-0.6B and sentence-transformers/all-MiniLM-L6-v2, sparse files; the
 * vLLM repository set to the simulated registry's with `latest` pulled; the simulated Open WebUI), then
 * `inferadmin start` (desktop, or headless when there is no display) pointed at the simulation through the
 * environment. Every default of the app works as it is: the New deployment form's model and image start.
 * On exit the temporary home is removed and, if the demo started the engine, the engine is stopped.
 * Options: --keep (keep the temporary home and the engine).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from './config.js'
import { prepareDemoHome } from './demo-setup.js'
import { down, up } from './sim.js'

const args = process.argv.slice(2)
const keep = args.includes('--keep')
const appArgs = args.filter((a) => a !== '--keep')
const say = (/** @type {string} */ s) => process.stderr.write(`demo: ${s}\n`)

const sim = await up({ log: say })
const root = mkdtempSync(join(tmpdir(), 'inferadmin-demo-'))
const home = join(root, 'home')
say(`GPUs: 2 × NVIDIA GeForce RTX 4090 (simulated; npm run sim -- gpu)`)
await prepareDemoHome(sim, home, { log: say })
say(`Hugging Face Hub: ${sim.env.HF_ENDPOINT} (simulated; browse it in Models → Pull a model)`)
say(`Open WebUI images: ${sim.env.INFERADMIN_SIM_WEBUI_IMAGE}:{main,v0.6.34,v0.6.33} (simulated)`)
say(`engine: ${sim.env.DOCKER_HOST}`)

const env = {
  ...process.env,
  ...sim.env,
  INFERADMIN_HOME: home,
  // systeminformation and other tools look for nvidia-smi on PATH
  PATH: `${sim.env.INFERADMIN_SIM_BIN}:${process.env.PATH ?? ''}`,
}
say(`starting: node bin/inferadmin.js start ${appArgs.join(' ')} (INFERADMIN_HOME=${home})`)
const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'inferadmin.js'), 'start', ...appArgs], {
  cwd: REPO_ROOT,
  env,
  stdio: 'inherit',
})
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(sig, () => child.kill(sig))

const code = await new Promise((res) => {
  child.on('error', (e) => {
    say(`could not start the app: ${e.message}`)
    res(1)
  })
  child.on('exit', (c, s) => res(c ?? (s ? 1 : 0)))
})
if (keep) say(`kept ${root} and the engine (stop it: npm run sim -- down)`)
else {
  rmSync(root, { recursive: true, force: true })
  if (sim.startedEngine) await down({ log: say })
}
process.exitCode = Number(code)
