#!/usr/bin/env node
// @ts-check
/**
 * `npm run test:security`: Electronegativity over the built app (out/main, out/preload, out/renderer).
 * Prints every finding and fails on any HIGH one, on a file it could not parse (unscanned code passes
 * nothing) and on any error running the scan. Usage: node scripts/electronegativity.js [outDir]
 *
 * Electronegativity 1.10 walks ASTs with an estraverse that predates ES2022 class fields, so bundles
 * using `#private` members (Vue, oRPC) fail to parse. Such files are lowered to ES2020 with Oxc (vite's
 * transformWithOxc: same code, private fields become WeakMaps) in a scratch copy and the scan reruns there.
 *
 * What Electronegativity cannot see (IPC sender checks, what the preload exposes, fuses) is covered by
 * src/main/shell/security-checklist.test.ts.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { transformWithOxc } from 'vite'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

/**
 * Checks left out, with the reason:
 * - AvailableSecurityFixesGlobalCheck fetches Electron's release list from GitHub with no timeout (the
 *   scan must work offline) and only reads package.json files, which the build output has none of.
 */
const EXCLUDED = ['availablesecurityfixesglobalcheck']

/**
 * @typedef {{ id: string, file: string, location: { line: number, column: number }, severity: { name: string, value: number }, confidence: { name: string }, manualReview?: boolean }} Issue
 * @typedef {{ file: string, message: string, tolerable: boolean }} ScanError
 * @typedef {{ issues: Issue[], errors: ScanError[], globalChecks: number, atomicChecks: number }} ScanResult
 */

/** @param {string} dir @returns {Promise<ScanResult>} */
function scan(dir) {
  const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version
  /** @type {(options: object, forCli: boolean) => Promise<ScanResult>} */
  const run = require('@doyensec/electronegativity')
  return run(
    {
      input: dir,
      customScan: [],
      excludeFromScan: EXCLUDED,
      isRelative: true,
      isVerbose: false,
      electronVersionOverride: electronVersion,
      parserPlugins: [],
    },
    false,
  )
}

/** First pass on the build itself; files it cannot parse are lowered in a scratch copy and rescanned. */
async function scanBuild(/** @type {string} */ outDir) {
  const first = await scan(outDir)
  const unparsed = first.errors.filter((e) => !e.tolerable)
  if (unparsed.length === 0) return { result: first, lowered: [] }
  const copy = mkdtempSync(join(tmpdir(), 'inferadmin-electronegativity-'))
  try {
    cpSync(outDir, copy, { recursive: true })
    const lowered = []
    for (const error of unparsed) {
      const rel = relative(outDir, error.file)
      const target = join(copy, rel)
      const { code } = await transformWithOxc(readFileSync(target, 'utf8'), target, { target: 'es2020', sourcemap: false })
      writeFileSync(target, code)
      lowered.push(rel)
    }
    return { result: await scan(copy), lowered }
  } finally {
    rmSync(copy, { recursive: true, force: true })
  }
}

async function main() {
  const outDir = resolve(process.argv[2] ?? join(root, 'out'))
  for (const part of ['main', 'preload', 'renderer']) {
    if (!existsSync(join(outDir, part))) throw new Error(`${join(outDir, part)} is missing: run \`npm run build\` first`)
  }
  const { result, lowered } = await scanBuild(outDir)
  for (const file of lowered) process.stdout.write(`note: ${file} scanned after lowering to ES2020 (class private fields)\n`)

  const counts = { HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0 }
  for (const issue of [...result.issues].sort((a, b) => b.severity.value - a.severity.value)) {
    counts[/** @type {keyof typeof counts} */ (issue.severity.name)] += 1
    const where = `${issue.file}:${issue.location.line}:${issue.location.column}`
    process.stdout.write(
      `${issue.severity.name.padEnd(13)} ${issue.confidence.name.padEnd(9)} ${issue.id}${issue.manualReview ? ' (review)' : ''}  ${where}\n`,
    )
  }
  const fatal = result.errors.filter((e) => !e.tolerable)
  for (const error of result.errors) {
    process.stdout.write(`${error.tolerable ? 'warning' : 'ERROR'}: could not fully parse ${error.file}: ${error.message}\n`)
  }
  process.stdout.write(
    `Electronegativity on ${relative(root, outDir) || '.'}: ${result.globalChecks + result.atomicChecks} checks; ` +
      `${counts.HIGH} high, ${counts.MEDIUM} medium, ${counts.LOW} low, ${counts.INFORMATIONAL} informational` +
      (fatal.length ? `; ${fatal.length} file(s) not scanned` : '') +
      '\n',
  )
  if (counts.HIGH > 0 || fatal.length > 0) {
    process.stdout.write('FAIL: high-severity findings or unscanned files (see above)\n')
    process.exitCode = 1
  }
}

main().catch((err) => {
  process.stderr.write(`electronegativity: scan failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
