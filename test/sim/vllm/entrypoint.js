// @ts-check
/**
 * Command-line front of the simulated vLLM image. The image has `/usr/local/bin/vllm` (`vllm serve …`,
 * ENTRYPOINT of ≥ v0.12) and `/usr/bin/python3` (`python3 -m vllm.entrypoints.openai.api_server …`,
 * ENTRYPOINT of ≤ v0.11.0, vllm-facts §1.3), both node scripts calling `cli()`.
 * The version comes from INFERADMIN_SIM_VLLM_TAG (set per tag in the image).
 */
import { serve, READY_FILE } from './serve.js'
import { versionInfo } from './versions.js'

const SUBCOMMANDS = ['chat', 'complete', 'serve', 'bench', 'collect-env', 'run-batch']

/**
 * @param {'vllm' | 'python3'} kind
 * @param {string[]} [argv]
 */
export async function cli(kind, argv = process.argv.slice(2)) {
  const v = versionInfo(process.env.INFERADMIN_SIM_VLLM_TAG ?? 'latest')
  const out = (/** @type {string} */ s) => process.stdout.write(s)
  const err = (/** @type {string} */ s) => process.stderr.write(s)
  /** @type {'api_server' | 'serve'} */
  let via
  if (kind === 'python3') {
    if (argv[0] === '--version' || argv[0] === '-V') return exit(out('Python 3.12.11\n'), 0)
    if (argv[0] !== '-m' || argv[1] !== 'vllm.entrypoints.openai.api_server') {
      err('python3 (InferAdmin simulation): only `python3 -m vllm.entrypoints.openai.api_server` is available in this image\n')
      return exit(undefined, 1)
    }
    argv = argv.slice(2)
    via = 'api_server'
  } else {
    if (argv[0] === '-v' || argv[0] === '--version') return exit(out(`${v.version}\n`), 0)
    if (argv[0] !== 'serve') {
      const usage = `usage: vllm [-h] [-v] {${SUBCOMMANDS.join(',')}} ...\n`
      if (argv[0] === undefined || argv[0] === '-h' || argv[0] === '--help') return exit(out(usage), argv[0] ? 0 : 1)
      err(
        `${usage}vllm: error: argument subparser: invalid choice: '${argv[0]}' (choose from ${SUBCOMMANDS.map((s) => `'${s}'`).join(', ')})\n`,
      )
      return exit(undefined, 2)
    }
    argv = argv.slice(1)
    via = 'serve'
  }
  const code = await serve(v, argv, { env: process.env, out, err, readyFile: READY_FILE, via })
  exit(undefined, code)
}

/**
 * Exit once stdout and stderr are flushed (they are pipes to the container runtime, written asynchronously;
 * exiting at once would cut `--help=all` at the 64 KiB pipe buffer).
 * @param {unknown} _ @param {number} code
 */
function exit(_, code) {
  let pending = 2
  const done = () => {
    if (--pending === 0) process.exit(code)
  }
  process.stdout.write('', done)
  process.stderr.write('', done)
}
