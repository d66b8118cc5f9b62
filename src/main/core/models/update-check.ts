import type { UpdateStatus } from '../../../shared/contract/models'
import type { HubClient } from './hub-client'
import { hubAppError } from './hub-errors'
import { scanLocation } from './scan'

/**
 * Compares each local model's main ref (or its only ref) with the Hub: one HEAD per model (the resolver bucket).
 * A model the Hub does not answer for gets its status with the error, not a throw.
 */
export async function checkModelUpdates(
  hub: HubClient,
  locations: string[],
  signal?: AbortSignal,
): Promise<{ location: string; repo: string; status: UpdateStatus }[]> {
  const out: { location: string; repo: string; status: UpdateStatus }[] = []
  for (const path of locations) {
    for (const m of await scanLocation(path)) {
      const ref = m.revisions.find((r) => r.refs.includes('main')) ? 'main' : m.revisions.flatMap((r) => r.refs)[0]
      const local = m.revisions.find((r) => r.refs.includes(ref ?? ''))
      if (!ref || !local) continue
      const base = { ref, localCommit: local.commit, checkedAt: new Date().toISOString() }
      try {
        const remote = await hub.remoteCommit(m.repo, ref, signal)
        out.push({
          location: m.location,
          repo: m.repo,
          status: { ...base, remoteCommit: remote, updateAvailable: remote !== local.commit },
        })
      } catch (err) {
        const e = hubAppError(err, { endpoint: hub.endpoint, repo: m.repo, revision: ref, hasToken: hub.hasToken() })
        // the reason and what to do, shown as text beside "Check failed"
        const fix = (e as { data?: { fix?: string } }).data?.fix
        out.push({
          location: m.location,
          repo: m.repo,
          status: { ...base, updateAvailable: false, error: fix ? `${e.message} ${fix}` : e.message },
        })
      }
    }
  }
  return out
}
