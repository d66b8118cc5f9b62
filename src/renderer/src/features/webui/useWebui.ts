import type { ShallowRef } from 'vue'
import type { WebuiStatus } from '@shared/contract/webui'
import { useStream } from '@/composables/useStream'
import { api } from '@/lib/rpc'

/** Open WebUI's status, pushed by the server (snapshot, then every change). */
export function useWebui(): { status: ShallowRef<WebuiStatus | undefined>; error: ShallowRef<unknown> } {
  const { latest, error } = useStream((signal) => api.webui.watch(undefined, { signal }))
  return { status: latest, error }
}

export const STATE_LABEL: Record<WebuiStatus['state'], string> = {
  absent: 'Not deployed',
  creating: 'Creating',
  starting: 'Starting',
  healthy: 'Running',
  unhealthy: 'Unhealthy',
  stopping: 'Stopping',
  stopped: 'Stopped',
  failed: 'Failed',
  'docker-unreachable': 'Docker not reachable',
}

export function stateVariant(s: WebuiStatus['state']): 'success' | 'warning' | 'destructive' | 'secondary' {
  if (s === 'healthy') return 'success'
  if (s === 'failed' || s === 'unhealthy' || s === 'docker-unreachable') return 'destructive'
  if (s === 'absent' || s === 'stopped') return 'secondary'
  return 'warning'
}

/**
 * The link a browser should open: the server's URL, except that a wildcard bind shown as 127.0.0.1 is
 * reached through the host this page came from (headless server opened from another machine).
 */
export function openUrl(url: string | null): string | null {
  if (!url) return null
  const u = new URL(url)
  if (
    u.hostname === '127.0.0.1' &&
    location.protocol.startsWith('http') &&
    location.hostname &&
    location.hostname !== 'localhost' &&
    location.hostname !== '127.0.0.1'
  )
    u.hostname = location.hostname
  return u.toString()
}
