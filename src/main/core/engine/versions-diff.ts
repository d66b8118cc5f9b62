import type { FlagCatalogView } from '../../../shared/contract/deployments'
import type { FlagDiff, FlagRejection } from '../../../shared/contract/engine'
import history from './data/vllm-serve-args-history.json'
import successorTable from './data/flag-successors.json'
import { compareVersions, parseTag, versionKey } from './tags'

/**
 * Flag changes between two vLLM versions from the bundled history (shared/reference/vllm-serve-args-history.json:
 * parser snapshots at ≈v0.10.0, ≈v0.11.0, ≈v0.12.0 and just before v0.21.0) and the renamed-flag successors
 * (vllm-facts §1.3). A version maps to the newest snapshot not newer than it.
 */
interface SnapFlag {
  type: string
  choices: unknown[] | null
  deprecated: boolean
}
interface Snapshot {
  label: string
  version: string
  flags: Record<string, SnapFlag>
}

/** A version's flags from any source (a bundled snapshot, or the image's own --help=all). */
export interface FlagSet {
  label: string
  flags: Record<string, SnapFlag>
  /** Other spellings the parser accepts (aliases, --no-x of boolean-optional flags); not part of the diff. */
  accepts?: Set<string>
}

const SNAPSHOTS: Snapshot[] = (history as unknown as { snapshots: { label: string; flags: Record<string, SnapFlag> }[] }).snapshots
  .map((s) => ({ label: s.label, version: `v${/v(\d+\.\d+\.\d+)/.exec(s.label)?.[1] ?? '0.0.0'}`, flags: s.flags }))
  .sort((a, b) => compareVersions(a.version, b.version))

const SUCCESSORS: Record<string, string[]> = Object.fromEntries(
  Object.entries(successorTable as Record<string, string>)
    .filter(([k]) => k.startsWith('--'))
    .map(([k, v]) => [k, v.split('/').map((s) => s.trim().replace(/^--no-/, '--'))]),
)

/** The snapshot for a tag: releases by version, anything else (nightly, latest without a known release) = newest. */
export function snapshotFor(tagOrVersion: string): Snapshot {
  const p = parseTag(tagOrVersion)
  const newest = SNAPSHOTS[SNAPSHOTS.length - 1] as Snapshot
  if (p.kind !== 'release' || !p.version || !versionKey(p.version)) return newest
  let pick = SNAPSHOTS[0] as Snapshot
  for (const s of SNAPSHOTS) if (compareVersions(s.version, p.version) <= 0) pick = s
  return pick
}

const flagNames = (s: FlagSet): Set<string> => new Set(Object.keys(s.flags).filter((f) => f.startsWith('-')))

/** The snapshot (at or before `target`) by which a flag was dropped, if it was. */
function removedIn(flag: string, target: Snapshot): string | null {
  let prevHad = false
  let out: string | null = null
  for (const s of SNAPSHOTS) {
    if (compareVersions(s.version, target.version) > 0) break
    const has = flag in s.flags
    if (prevHad && !has) out = s.label
    prevHad = has
  }
  return out
}

function addedIn(flag: string): string | null {
  for (const s of SNAPSHOTS) if (flag in s.flags) return s.label
  return null
}

function successorIn(flag: string, target: Set<string>): string | null {
  const direct = SUCCESSORS[flag]?.filter((s) => target.has(s)) ?? []
  if (direct.length) return direct.join(' / ')
  // Downgrade: the flag is the successor of one the target still has.
  for (const [old, news] of Object.entries(SUCCESSORS)) if (news.includes(flag) && target.has(old)) return old
  return null
}

/** Which of `args` (flag → value) the target snapshot would refuse, with the reason and successor. */
export function rejectedArgs(args: Record<string, unknown>, to: string, set: FlagSet = snapshotFor(to)): FlagRejection[] {
  const snap = set
  const names = flagNames(snap)
  const out: FlagRejection[] = []
  for (const [raw, value] of Object.entries(args)) {
    if (value === false && !raw.startsWith('--no-')) {
      // store_true off = not passed; a --no-x switch is only passed when it is a BooleanOptional flag
      const f = snap.flags[raw]
      if (!f || f.type === 'bool') continue
    }
    if (set.accepts?.has(raw)) continue
    const flag = raw.startsWith('--no-') && !names.has(raw) ? `--${raw.slice(5)}` : raw
    const f = snap.flags[flag]
    if (!f) {
      const successor = successorIn(flag, names)
      const gone = removedIn(flag, snapshotFor(to))
      const born = addedIn(flag)
      const why =
        born && compareVersions(snapshotFor(born.replace(/^.*?(v\d+\.\d+\.\d+).*$/, '$1')).version, snapshotFor(to).version) > 0
          ? `${to} does not know ${flag} yet (it appears in ${born})`
          : gone
            ? `${to} no longer has ${flag} (removed by ${gone})`
            : `${to} does not accept ${flag}`
      out.push({ flag: raw, reason: successor ? `${why}; use ${successor} instead` : why, successor })
      continue
    }
    if (f.choices && f.choices.length && (typeof value === 'string' || typeof value === 'number')) {
      const choices = f.choices.map(String)
      if (!choices.includes(String(value)))
        out.push({ flag: raw, reason: `${to} accepts only ${choices.join(', ')} for ${flag}, not ${String(value)}`, successor: null })
    }
  }
  return out
}

/** Diff of two versions: from `sets` (e.g. the images' own flags) when given, else the bundled snapshots. */
export function flagDiff(
  from: string,
  to: string,
  args: Record<string, unknown> = {},
  sets?: { a: FlagSet; b: FlagSet; basis: string },
): FlagDiff {
  const a: FlagSet = sets?.a ?? snapshotFor(from)
  const b: FlagSet = sets?.b ?? snapshotFor(to)
  const fa = flagNames(a)
  const fb = flagNames(b)
  const renamed: { from: string; to: string }[] = []
  for (const f of fa) {
    if (fb.has(f)) continue
    const s = successorIn(f, fb)
    if (s && s.split(' / ').every((x) => !fa.has(x))) renamed.push({ from: f, to: s })
  }
  const renamedFrom = new Set(renamed.map((r) => r.from))
  const renamedTo = new Set(renamed.flatMap((r) => r.to.split(' / ')))
  return {
    from,
    to,
    basis: sets
      ? sets.basis
      : a === b
        ? `both map to the bundled flag snapshot "${a.label}"`
        : `bundled flag snapshots "${a.label}" → "${b.label}" (vLLM parser at upstream commits near each release)`,
    added: [...fb].filter((f) => !fa.has(f) && !renamedTo.has(f)).sort(),
    removed: [...fa].filter((f) => !fb.has(f) && !renamedFrom.has(f)).sort(),
    renamed: renamed.sort((x, y) => x.from.localeCompare(y.from)),
    deprecated: [...fb].filter((f) => b.flags[f]?.deprecated && !(a.flags[f]?.deprecated ?? false) && fa.has(f)).sort(),
    rejected: rejectedArgs(args, to, b),
  }
}

/** An image's own flag catalog (FlagCatalogService, --help=all) as a FlagSet; null when it fell back to the bundled list. */
export function catalogFlagSet(c: FlagCatalogView): FlagSet | null {
  if (c.source !== 'image') return null
  return {
    label: c.image,
    flags: Object.fromEntries(c.flags.map((f) => [f.flag, { type: f.type, choices: f.choices, deprecated: f.deprecated }])),
    accepts: new Set(c.flags.flatMap((f) => [...f.aliases, ...(f.action === 'boolean_optional' ? [`--no-${f.flag.slice(2)}`] : [])])),
  }
}
