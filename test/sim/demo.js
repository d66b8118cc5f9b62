#!/usr/bin/env node
// @ts-check
/**
 * npm run demo [-- <inferadmin start options>]
 *
 * Try InferAdmin without a GPU: `sim up` (a Docker engine with stand-in GPUs and the simulated vLLM images),
 * a temporary INFERADMIN_HOME whose default model store holds two seeded models (a Qwen3-0.6B-shaped chat
 * model "weighing" 1.4 GiB as a sparse file, and a small embedding model), then `inferadmin start` (desktop,
 * or headless when there is no display) pointed at the simulation through the environment.
 * On exit the temporary home is removed and, if the demo started the engine, the engine is stopped.
 * Options: --keep (keep the temporary home and the engine).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from './config.js'
import { seedModel } from './seed.js'
import { down, up } from './sim.js'

const args = process.argv.slice(2)
const keep = args.includes('--keep')
const appArgs = args.filter((a) => a !== '--keep')
const say = (/** @type {string} */ s) => process.stderr.write(`demo: ${s}\n`)

const sim = await up({ log: say })
const root = mkdtempSync(join(tmpdir(), 'inferadmin-demo-'))
const home = join(root, 'home')
const store = join(home, 'models')
const chat = await seedModel(store, { kind: 'chat', weightBytes: 1.4 * 1024 ** 3 })
const embed = await seedModel(store, { kind: 'embed' })
say(`GPUs: 2 × NVIDIA GeForce RTX 4090 (simulated; npm run sim -- gpu)`)
say(`model store ${store}: ${chat.repo}, ${embed.repo}`)
say(`vLLM images: ${sim.env.INFERADMIN_SIM_VLLM_IMAGE}:{v0.10.0,v0.11.0,v0.12.0,v0.21.0,latest,nightly}`)
say(`Open WebUI images: ${sim.env.INFERADMIN_SIM_WEBUI_IMAGE}:{main,v0.6.34,v0.6.33} (simulated)`)
say(`engine: ${sim.env.DOCKER_HOST}`)
// The simulated Open WebUI carries the real repository name only on the private engine; point the app at it.
writeFileSync(join(home, 'settings.json'), JSON.stringify({ webuiImage: sim.env.INFERADMIN_SIM_WEBUI_IMAGE }))

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
