import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// `npm install` warns (EBADENGINE) for every installed package whose `engines.node` excludes the running Node.
// On our minimum Node those warnings must be expected: only desktop/packaging tools may declare a newer Node,
// and the README names each of them, so a newcomer reading the warnings knows they are harmless.
const root = resolve(import.meta.dirname, '../..')
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null
  satisfies(version: string, range: string): boolean
}

interface LockEntry {
  dev?: boolean
  engines?: { node?: string } | string[]
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
const minimum = semver.minVersion(pkg.engines.node)?.version ?? ''
const readme = readFileSync(join(root, 'README.md'), 'utf8')

/** Installed packages whose declared Node range excludes our minimum (what npm warns about there). */
function warnedOnMinimum(): { name: string; range: string; dev: boolean }[] {
  const out = []
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node
    if (!path || !range || semver.satisfies(minimum, range)) continue
    out.push({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), range, dev: entry.dev === true })
  }
  return out
}

describe('npm install on the minimum Node (package.json engines)', () => {
  it('declares a minimum that the README states', () => {
    expect(minimum).toMatch(/^\d+\.\d+\.\d+$/)
    const [major, minor] = minimum.split('.')
    expect(readme).toContain(`Node ${major}.${minor}`)
  })

  it('every runtime dependency supports it: only development tools may ask for a newer Node', () => {
    expect(warnedOnMinimum().filter((p) => !p.dev)).toEqual([])
  })

  it('the README names every package npm warns about there, so the warnings are explained', () => {
    const warned = warnedOnMinimum()
    expect(warned.length).toBeGreaterThan(0) // electron's tools ask for Node ≥ 22.12 today; drop this line when none do
    for (const p of warned) expect(readme, `${p.name} (engines.node ${p.range}) is not named in README.md`).toContain(`\`${p.name}\``)
  })
})
