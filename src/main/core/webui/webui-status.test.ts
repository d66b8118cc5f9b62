import type Dockerode from 'dockerode'
import { describe, expect, it } from 'vitest'
import type { WebuiSync } from '../../../shared/contract/webui'
import { WEBUI_LABEL } from './webui-spec'
import { webuiPort, webuiState, webuiStatus, type Observed, type StatusInput } from './webui-status'

/** A container as `docker inspect` describes it (only the fields the status reads). */
function container(state: Partial<Dockerode.ContainerInspectInfo['State']>, labels: Record<string, string> = {}): Observed {
  const info = {
    Id: 'c0ffee',
    State: { Status: 'running', ExitCode: 0, Error: '', ...state },
    Config: { Labels: labels },
  } as unknown as Dockerode.ContainerInspectInfo
  return { reachable: true, info, volume: true }
}
const health = (Status: string): Partial<Dockerode.ContainerInspectInfo['State']> => ({ Health: { Status } as never })

const sync: WebuiSync = { state: 'not-running', at: null, message: null, fix: null, applied: [] }
const settings = { listenInterface: '0.0.0.0', webuiImage: 'ghcr.io/open-webui/open-webui', webuiPort: 3000 }
const input = (o: Partial<StatusInput>): StatusInput => ({
  observed: { reachable: true, volume: false },
  moving: null,
  settings,
  recordTag: null,
  connections: [],
  sync,
  job: null,
  ...o,
})

describe('webuiState', () => {
  it.each([
    ['healthy', container(health('healthy'))],
    ['unhealthy', container(health('unhealthy'))],
    ['starting', container(health('starting'))],
    ['starting', container({ Status: 'restarting' })],
    ['stopped', container({ Status: 'created' })],
    ['stopped', container({ Status: 'exited', ExitCode: 0 })],
    // SIGTERM from `docker stop`: stopped, not failed.
    ['stopped', container({ Status: 'exited', ExitCode: 143 })],
    ['failed', container({ Status: 'exited', ExitCode: 137 })],
    ['absent', { reachable: true, volume: true }],
    ['docker-unreachable', { reachable: false, error: 'ECONNREFUSED', volume: false }],
  ] as const)('%s for %j', (state, observed) => {
    expect(webuiState(observed)).toBe(state)
  })

  it('shows what a job is doing over what Docker says', () => {
    expect(webuiState(container(health('healthy')), 'stopping')).toBe('stopping')
  })
})

describe('webuiStatus', () => {
  it('a running container: its own port and tag, an address to open, no problem', () => {
    const s = webuiStatus(input({ observed: container(health('healthy'), { [WEBUI_LABEL.port]: '3111', [WEBUI_LABEL.tag]: 'v0.6.33' }) }))
    expect(s).toMatchObject({ state: 'healthy', port: 3111, tag: 'v0.6.33', image: 'ghcr.io/open-webui/open-webui:v0.6.33' })
    expect(s).toMatchObject({ url: 'http://127.0.0.1:3111/', containerId: 'c0ffee', health: 'healthy', error: null, warning: null })
  })

  it('without a container: the port and tag a deploy would use, no address', () => {
    expect(webuiStatus(input({ recordTag: 'v0.6.34' }))).toMatchObject({ state: 'absent', port: 3000, tag: 'v0.6.34', url: null })
    expect(webuiStatus(input({})).tag).toBe('main')
  })

  it('a crashed container names its exit code and the log to read', () => {
    const s = webuiStatus(input({ observed: container({ Status: 'exited', ExitCode: 1, Error: 'boom' }) }))
    expect(s.error).toEqual({
      message: 'Open WebUI exited with code 1: boom.',
      fix: expect.stringMatching(/docker logs inferadmin-open-webui/),
    })
    expect(s.url).toBeNull()
  })

  it('a failing health check and an unreachable Docker each carry a fix', () => {
    expect(webuiStatus(input({ observed: container(health('unhealthy')) })).error?.fix).toMatch(/restart it/)
    const down = webuiStatus(input({ observed: { reachable: false, error: 'connect ENOENT', volume: false } }))
    expect(down.error?.message).toMatch(/Docker is not reachable: connect ENOENT/)
    expect(down.error?.fix).toMatch(/Start Docker/)
  })

  it('warns when deployments listen on loopback only, which the container cannot reach', () => {
    const s = webuiStatus(input({ settings: { ...settings, listenInterface: '127.0.0.1' } }))
    expect(s.warning?.fix).toMatch(/0\.0\.0\.0/)
  })

  it('an IPv6 listen interface gives a bracketed address', () => {
    const s = webuiStatus(input({ observed: container(health('healthy')), settings: { ...settings, listenInterface: '::' } }))
    expect(s.url).toBe('http://[::1]:3000/')
    expect(webuiPort(container({}), settings)).toBe(3000)
  })
})
