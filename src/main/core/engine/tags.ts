import type { EngineTag, Release, TagKind } from '../../../shared/contract/engine'

/** A tag as a source reports it (before classification and local state). */
export interface RawTag {
  name: string
  date: string | null
  digest: string | null
  sizeBytes: number | null
}

export interface ParsedTag {
  kind: TagKind
  /** vX.Y.Z[.postN][rcN] for releases; null otherwise. */
  version: string | null
  variant: string | null
}

/** vllm-facts §4: vX.Y.Z, vX.Y.Z.postN, vX.Y.ZrcN, optionally followed by -variant (cu129, x86_64, ubuntu2404, aarch64-cu129 …). */
const RELEASE = /^v(\d+)\.(\d+)\.(\d+)(?:\.post(\d+))?(?:rc(\d+))?(?:-([A-Za-z0-9_.-]+))?$/
const NIGHTLY = /^(?:([A-Za-z0-9_.]+)-)?nightly(?:-([A-Za-z0-9_.-]+))?$/
const LATEST = /^latest(?:-([A-Za-z0-9_.-]+))?$/

export function parseTag(name: string): ParsedTag {
  const r = RELEASE.exec(name)
  if (r) {
    const version = name.slice(0, r[6] ? name.length - r[6].length - 1 : name.length)
    return { kind: 'release', version, variant: r[6] ?? null }
  }
  const l = LATEST.exec(name)
  if (l) return { kind: 'latest', version: null, variant: l[1] ?? null }
  const n = NIGHTLY.exec(name)
  if (n) {
    const parts = [n[1], n[2]].filter((x): x is string => !!x)
    return { kind: 'nightly', version: null, variant: parts.length ? parts.join('-') : null }
  }
  return { kind: 'other', version: null, variant: null }
}

/** Numeric key of a release version: [major, minor, patch, post, rc] with rc sorting before the final release. */
export function versionKey(version: string): number[] | null {
  const r = RELEASE.exec(version)
  if (!r) return null
  const rc = r[5] === undefined ? Number.MAX_SAFE_INTEGER : Number(r[5])
  return [Number(r[1]), Number(r[2]), Number(r[3]), Number(r[4] ?? 0), rc]
}

/** Semver-ish comparison of two release versions (a < b → negative). Non-releases sort first. */
export function compareVersions(a: string, b: string): number {
  const ka = versionKey(a)
  const kb = versionKey(b)
  if (!ka || !kb) return (ka ? 1 : 0) - (kb ? 1 : 0)
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] as number) - (kb[i] as number)
  return 0
}

export function isPrerelease(version: string): boolean {
  return /rc\d+$/.test(version)
}

export interface LocalInfo {
  sizeBytes: number
  digest: string | null
}

export interface Classified {
  releases: Release[]
  latest: EngineTag[]
  nightlies: EngineTag[]
  other: EngineTag[]
  newestRelease: string | null
}

const byDateDesc = (a: EngineTag, b: EngineTag): number => (b.date ?? '').localeCompare(a.date ?? '') || a.name.localeCompare(b.name)

/**
 * Releases grouped by version (main tag + variants), newest first; `latest*` and nightlies apart, nightlies by
 * date; everything else in `other`. `local` marks pulled tags (upToDate when both digests are known).
 */
export function classify(tags: RawTag[], local: Map<string, LocalInfo> = new Map()): Classified {
  const groups = new Map<string, Release>()
  const latest: EngineTag[] = []
  const nightlies: EngineTag[] = []
  const other: EngineTag[] = []
  for (const t of tags) {
    const p = parseTag(t.name)
    const l = local.get(t.name)
    const tag: EngineTag = {
      ...t,
      ...p,
      local: l ? { sizeBytes: l.sizeBytes, digest: l.digest, upToDate: l.digest && t.digest ? l.digest === t.digest : null } : null,
    }
    if (p.kind === 'release' && p.version) {
      const g = groups.get(p.version) ?? { version: p.version, tag: null, variants: [] }
      if (p.variant) g.variants.push(tag)
      else g.tag = tag
      groups.set(p.version, g)
    } else if (p.kind === 'latest') latest.push(tag)
    else if (p.kind === 'nightly') nightlies.push(tag)
    else other.push(tag)
  }
  const releases = [...groups.values()].sort((a, b) => compareVersions(b.version, a.version))
  for (const r of releases) r.variants.sort((a, b) => (a.variant ?? '').localeCompare(b.variant ?? ''))
  latest.sort((a, b) => (a.variant ?? '').localeCompare(b.variant ?? ''))
  nightlies.sort(byDateDesc)
  other.sort((a, b) => a.name.localeCompare(b.name))
  const newest = releases.find((r) => r.tag && !isPrerelease(r.version))
  return { releases, latest, nightlies, other, newestRelease: newest?.tag?.name ?? null }
}
