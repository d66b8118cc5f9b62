// @ts-check
/**
 * What `npm run demo` prepares in its INFERADMIN_HOME so that every default of the app works against the
 * simulation (also used by the e2e test of the demo):
 *  - the model store holds the Hub stand-in's own copies of two catalogue models (hub/catalogue.json `seed`
 *    entries: same bytes, same commit), so the first update check says "Up to date";
 *  - Settings → vLLM image repository is the simulated registry's repository (`<registry>/inferadmin-sim/vllm-openai`,
 *    listed, pulled and updated through a real registry), and its `latest` tag is pulled as a user would have
 *    done once, so the New deployment form's default image (`<repository>:latest`) starts as it is, and the
 *    other tags are one "Pull" away;
 *  - Settings → Open WebUI image is the simulated one (the real name on the private engine).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { dockerFor } from './engine/dockerd.js'
import { downloadableSeeds } from './hub/catalogue.js'
import { seedModel } from './seed.js'

/** Catalogue models the demo's store starts with; the other downloadable ones are left to pull. */
export const DEMO_MODELS = ['Qwen/Qwen3-0.6B', 'sentence-transformers/all-MiniLM-L6-v2']

/**
 * @param {{ env: Record<string, string> }} sim  what `up()` returned
 * @param {string} home  INFERADMIN_HOME (created when missing)
 * @param {{ log?: (s: string) => void, settings?: Record<string, unknown> }} [o]  settings: more settings.json keys
 * @returns {Promise<{ store: string, models: string[], vllmRepository: string, settings: Record<string, unknown> }>}
 */
export async function prepareDemoHome(sim, home, o = {}) {
  const log = o.log ?? (() => {})
  const { INFERADMIN_SIM_REGISTRY: registry, INFERADMIN_SIM_VLLM_IMAGE: simRepo, DOCKER_HOST: dockerHost } = sim.env
  if (!registry || !simRepo || !dockerHost)
    throw new Error('the simulation has no registry (sim up with images built gives INFERADMIN_SIM_REGISTRY): run `npm run sim -- up`')
  const store = join(home, 'models')
  mkdirSync(store, { recursive: true })
  const seeds = downloadableSeeds().filter((s) => DEMO_MODELS.includes(s.repo))
  for (const s of seeds) await seedModel(store, s)
  log(`model store ${store}: ${seeds.map((s) => s.repo).join(', ')} (the Hub stand-in's copies)`)

  const vllmRepository = `${registry}/${simRepo}`
  await pull(dockerFor(dockerHost), `${vllmRepository}:latest`)
  log(`vLLM images: ${vllmRepository} (simulated registry; latest pulled, other tags on the System page)`)

  const settings = { vllmImageRepository: vllmRepository, webuiImage: sim.env.INFERADMIN_SIM_WEBUI_IMAGE, ...o.settings }
  writeFileSync(join(home, 'settings.json'), JSON.stringify(settings, null, 2))
  return { store, models: seeds.map((s) => s.repo), vllmRepository, settings }
}

/** `docker pull ref` through the engine (the registry front allows anonymous pulls). @param {import('dockerode')} docker @param {string} ref */
async function pull(docker, ref) {
  const stream = await docker.pull(ref)
  /** @type {{ error?: string, errorDetail?: { message?: string } }[]} */
  const events = await new Promise((res, rej) => docker.modem.followProgress(stream, (err, out) => (err ? rej(err) : res(out))))
  const failed = events.find((e) => e.error || e.errorDetail)
  if (failed) throw new Error(`pulling ${ref} failed: ${failed.error ?? failed.errorDetail?.message}`)
}
