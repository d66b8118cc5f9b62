#!/usr/bin/env node
// @ts-check
/**
 * npm run sim -- <command>
 *
 *   up [--private] [--profile default|h100|h200|FILE] [--repository REPO] [--no-build]
 *        start or reuse the engine, build the simulated vLLM images, print `export NAME=value` lines
 *        (also written to <sim dir>/env.sh; use: eval "$(npm run -s sim -- up)")
 *   down [--purge]      stop what up started (--purge: also delete the state directory)
 *   status [--json]     engine, images, GPUs
 *   env                 print <sim dir>/env.sh
 *   gpu                 the stand-in nvidia-smi table
 *   gpu external <gpu> <MiB> [util%]     memory used outside our containers (0 clears)
 *   gpu fault <none|driver-not-loaded|not-installed|mismatch|gpu-lost|no-devices> [gpu]
 *   gpu profile <default|h100|h200|FILE> replace the simulated GPUs
 *   seed <hub dir> [--repo org/name] [--kind chat|embed|rerank|transcribe] [--weights-gib N]   seed a tiny model
 *
 * State directory: $INFERADMIN_SIM_DIR or <repo>/.sim.
 */
import { readFileSync } from 'node:fs'
import { resolveSimDir, simPaths } from './config.js'
import { FAULTS, gpuSnapshot, setExternalGpuUsage, setGpuFault, setGpuProfile } from './gpu-control.js'
import { main as nvidiaSmi } from './gpus/nvidia-smi.js'
import { seedModel } from './seed.js'
import { down, envLines, status, up } from './sim.js'

/** @param {string[]} args @param {string} name */
function opt(args, name) {
  const i = args.indexOf(name)
  if (i < 0) return undefined
  const v = args[i + 1]
  args.splice(i, 2)
  return v
}
/** @param {string[]} args @param {string} name */
function flag(args, name) {
  const i = args.indexOf(name)
  if (i >= 0) args.splice(i, 1)
  return i >= 0
}

const err = (/** @type {string} */ s) => process.stderr.write(`sim: ${s}\n`)

/** @param {string[]} argv */
async function main(argv) {
  const [cmd, ...args] = argv
  switch (cmd) {
    case 'up': {
      const engine = flag(args, '--private') ? 'private' : 'auto'
      const build = !flag(args, '--no-build')
      const profile = opt(args, '--profile')
      const repository = opt(args, '--repository')
      const r = await up({ engine, build, profile, repository, log: err })
      if (r.images) err(`images: ${r.images.built.length} built, ${r.images.reused.length} reused (${r.images.seconds.toFixed(1)} s)`)
      err(`up in ${r.seconds.toFixed(1)} s; env written to ${simPaths().envFile}`)
      process.stdout.write(envLines(r.env))
      return 0
    }
    case 'down': {
      const r = await down({ purge: flag(args, '--purge'), log: err })
      err(r.stopped ? 'down: engine stopped' : 'down: nothing of ours was running')
      return 0
    }
    case 'status': {
      const s = await status()
      if (flag(args, '--json')) {
        let gpus = null
        try {
          gpus = gpuSnapshot().readings.map((r) => ({
            index: r.spec.index,
            uuid: r.spec.uuid,
            name: r.spec.name,
            usedMiB: r.usedMiB,
            freeMiB: r.freeMiB,
            utilPct: r.utilPct,
          }))
        } catch {
          /* no GPU state yet */
        }
        process.stdout.write(JSON.stringify({ ...s, gpus }, null, 2) + '\n')
        return 0
      }
      process.stdout.write(`state dir: ${s.simDir}\n`)
      process.stdout.write(
        s.engine
          ? `engine: ${s.engine.mode} at ${s.engine.dockerHost}${(s.privatePid ?? s.engine.pid) ? ` (pid ${s.privatePid ?? s.engine.pid})` : ''} — ${s.reachable ? 'reachable' : 'NOT reachable'}\n`
          : 'engine: none (run: npm run sim -- up)\n',
      )
      if (s.images.length) process.stdout.write(`images: ${s.images.join(', ')}\n`)
      return s.engine && s.reachable ? 0 : 1
    }
    case 'env':
      process.stdout.write(readFileSync(simPaths().envFile, 'utf8'))
      return 0
    case 'gpu': {
      const [sub, ...rest] = args
      if (!sub) {
        return nvidiaSmi([], {
          env: { ...process.env, INFERADMIN_SIM_GPU_DIR: simPaths(resolveSimDir()).gpuDir },
          out: (s) => process.stdout.write(s),
          err: (s) => process.stderr.write(s),
        })
      }
      if (sub === 'external') {
        const [gpu, mib, util] = rest
        if (gpu === undefined || mib === undefined) throw new Error('usage: gpu external <index|uuid> <MiB> [util%]')
        setExternalGpuUsage(gpu, Number(mib), { utilPct: util === undefined ? undefined : Number(util) })
        err(`external usage on GPU ${gpu}: ${mib} MiB`)
        return 0
      }
      if (sub === 'fault') {
        const [kind, gpu] = rest
        if (!kind || !FAULTS.includes(/** @type {any} */ (kind))) throw new Error(`usage: gpu fault <${FAULTS.join('|')}> [gpu]`)
        setGpuFault(/** @type {import('./gpus/state.js').FaultKind} */ (kind), { gpu })
        err(`fault: ${kind}`)
        return 0
      }
      if (sub === 'profile' && rest[0]) {
        const s = setGpuProfile(rest[0])
        err(`profile ${s.profile.name}: ${s.profile.gpus.map((g) => g.name).join(', ')}`)
        return 0
      }
      throw new Error('usage: gpu [external|fault|profile] …')
    }
    case 'seed': {
      const repo = opt(args, '--repo')
      const kind = /** @type {'chat' | 'embed' | 'rerank' | 'transcribe' | undefined} */ (opt(args, '--kind'))
      const gib = opt(args, '--weights-gib')
      const dir = args[0]
      if (!dir) throw new Error('usage: seed <hub dir> [--repo org/name] [--kind chat|embed|rerank|transcribe] [--weights-gib N]')
      const r = await seedModel(dir, { repo, kind, weightBytes: gib ? Number(gib) * 1024 ** 3 : undefined })
      process.stdout.write(`${r.repo} ${r.commit} ${r.snapshotDir}\n`)
      return 0
    }
    default:
      process.stdout.write(
        readFileSync(new URL(import.meta.url), 'utf8')
          .split('\n')
          .filter((l) => l.startsWith(' *'))
          .map((l) => l.slice(3))
          .join('\n') + '\n',
      )
      return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2
  }
}

/** Exit once stdout is flushed (idle keep-alive sockets to the engine would hold the process for seconds). */
/** @param {number} code */
const exit = (code) => process.stdout.write('', () => process.exit(code))

main(process.argv.slice(2)).then(exit, (e) => {
  err(e instanceof Error ? e.message : String(e))
  exit(1)
})
