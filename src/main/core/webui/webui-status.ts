import type Dockerode from 'dockerode'
import type { Job } from '../../../shared/contract/jobs'
import type { WebuiConnection, WebuiState, WebuiStatus, WebuiSync } from '../../../shared/contract/webui'
import type { Settings } from '../../../shared/settings'
import { DOCKER_FIX, dockerUnreachableText } from '../docker/errors'
import { httpUrl, reachHost } from '../docker/net'
import { WEBUI_LABEL, WEBUI_VOLUME, isLoopback } from './webui-spec'

const DOCKER_HOST = 'host.docker.internal'

/** What Docker last said about Open WebUI: its container (inspected) and whether the data volume exists. */
export interface Observed {
  reachable: boolean
  error?: string
  info?: Dockerode.ContainerInspectInfo
  volume: boolean
}

/** The state shown: `moving` (a job creating or stopping the container) wins over Docker's view. */
export function webuiState(o: Observed, moving: WebuiState | null = null): WebuiState {
  if (moving) return moving
  if (!o.reachable) return 'docker-unreachable'
  const st = o.info?.State
  if (!st) return 'absent'
  if (st.Status === 'running' || st.Status === 'restarting') {
    const h = st.Health?.Status
    return h === 'healthy' ? 'healthy' : h === 'unhealthy' ? 'unhealthy' : 'starting'
  }
  if (st.Status === 'created') return 'stopped'
  return st.ExitCode === 0 || st.ExitCode === 143 ? 'stopped' : 'failed'
}

/** The container's published port (label); without a container, the port a deploy would use. */
export function webuiPort(o: Observed, settings: Pick<Settings, 'webuiPort'>): number {
  const label = o.info?.Config.Labels?.[WEBUI_LABEL.port]
  return label ? Number(label) : settings.webuiPort
}

export interface StatusInput {
  observed: Observed
  moving: WebuiState | null
  settings: Pick<Settings, 'listenInterface' | 'webuiImage' | 'webuiPort'>
  /** The tag last deployed (the record), used when no container says otherwise. */
  recordTag: string | null
  connections: WebuiConnection[]
  sync: WebuiSync
  job: Job | null
}

function problem(state: WebuiState, o: Observed): WebuiStatus['error'] {
  const logFix = 'Read its log (docker logs inferadmin-open-webui)'
  if (state === 'docker-unreachable') return { message: `${dockerUnreachableText(o.error ?? 'no answer')}.`, fix: DOCKER_FIX }
  if (state === 'failed') {
    const st = o.info?.State
    return {
      message: `Open WebUI exited with code ${st?.ExitCode ?? '?'}${st?.Error ? `: ${st.Error}` : ''}.`,
      fix: `${logFix}, then start it again or update to another tag.`,
    }
  }
  if (state === 'unhealthy')
    return { message: 'Open WebUI runs but its health check fails.', fix: `${logFix}; restart it with stop and start.` }
  return null
}

/** The status a client sees (GET /webui, the watch stream). */
export function webuiStatus(i: StatusInput): WebuiStatus {
  const s = i.settings
  const info = i.observed.info
  const state = webuiState(i.observed, i.moving)
  const port = webuiPort(i.observed, s)
  const tag = info?.Config.Labels?.[WEBUI_LABEL.tag] ?? i.recordTag ?? 'main'
  const running = state === 'healthy' || state === 'starting' || state === 'unhealthy'
  return {
    state,
    image: `${s.webuiImage}:${tag}`,
    tag,
    port,
    url: running ? httpUrl(reachHost(s.listenInterface), port, '/') : null,
    containerId: info?.Id ?? null,
    health: info?.State.Health?.Status ?? null,
    volume: { name: WEBUI_VOLUME, exists: i.observed.volume },
    connections: i.connections,
    sync: i.sync,
    warning: isLoopback(s.listenInterface)
      ? {
          message: `Deployments listen on ${s.listenInterface} only, which Open WebUI's container cannot reach through ${DOCKER_HOST}.`,
          fix: 'Set the listen interface to 0.0.0.0 in Settings, then restart the deployments.',
        }
      : null,
    error: problem(state, i.observed),
    job: i.job,
  }
}
