// @ts-check
/**
 * Replays captured real nvidia-smi output (test/fixtures/nvidia-smi/<capture>/) as an executable, so the app can
 * run against what a real card printed. Picks the form whose `.cmd` has the same arguments (ignoring `-lms N`),
 * preferring `*-held` forms when INFERADMIN_SMI_REPLAY_HELD=1; prints its stdout and stderr and exits with its
 * code. With `-lms N` it repeats stdout every N ms until killed, like the real loop. Arguments without a
 * captured form: a message naming them on stderr, exit 2.
 *
 *   INFERADMIN_SMI_REPLAY_DIR=<fixture dir> node replay-nvidia-smi.js [nvidia-smi args]
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.env.INFERADMIN_SMI_REPLAY_DIR ?? ''
const held = process.env.INFERADMIN_SMI_REPLAY_HELD === '1'
const argv = process.argv.slice(2)
const lms = argv.indexOf('-lms')
const loopMs = lms >= 0 ? Number(argv[lms + 1]) : null
const args = (lms >= 0 ? [...argv.slice(0, lms), ...argv.slice(lms + 2)] : argv).join(' ')

const forms = readdirSync(dir)
  .filter((f) => f.endsWith('.cmd'))
  .map((f) => f.slice(0, -4))
  .filter(
    (n) =>
      readFileSync(join(dir, `${n}.cmd`), 'utf8')
        .trim()
        .replace(/^nvidia-smi\s*/, '') === args,
  )
  .sort((a, b) => Number(b.includes('held') === held) - Number(a.includes('held') === held))
const name = forms[0]
if (!name) {
  process.stderr.write(`replay-nvidia-smi: no captured form in ${dir} for arguments "${args}"\n`)
  process.exit(2)
}
const read = (/** @type {string} */ ext) => readFileSync(join(dir, `${name}.${ext}`), 'utf8')
process.stderr.write(read('err'))
process.stdout.write(read('out'))
if (loopMs !== null && loopMs > 0 && read('rc').trim() === '0') {
  setInterval(() => process.stdout.write(read('out')), loopMs)
  process.on('SIGTERM', () => process.exit(0))
} else {
  process.exitCode = Number(read('rc').trim())
}
