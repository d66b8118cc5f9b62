import { describe, expect, it } from 'vitest'
import { WEBUI_VOLUME, baseUrlOf, isLoopback, webuiContainerSpec } from './webui-spec'

const base = { image: 'ghcr.io/open-webui/open-webui', tag: 'main', hostPort: 3000, listenInterface: '0.0.0.0', secretKey: 's3cret' }

describe('webuiContainerSpec', () => {
  it('wires the ready deployments as ;-separated URLs and keys in the same order, Ollama off, auth on', () => {
    const spec = webuiContainerSpec({
      ...base,
      endpoints: [
        { deploymentId: 'a', name: 'a', port: 8001 },
        { deploymentId: 'b', name: 'b', port: 8002, apiKey: 'k2' },
      ],
    })
    expect(spec.Image).toBe('ghcr.io/open-webui/open-webui:main')
    expect(spec.Env).toEqual(
      expect.arrayContaining([
        'OPENAI_API_BASE_URLS=http://host.docker.internal:8001/v1;http://host.docker.internal:8002/v1',
        'OPENAI_API_KEYS=;k2',
        'ENABLE_OLLAMA_API=false',
        'WEBUI_AUTH=true',
        'WEBUI_SECRET_KEY=s3cret',
      ]),
    )
    expect(spec.HostConfig?.Binds).toEqual([`${WEBUI_VOLUME}:/app/backend/data`])
    expect(spec.HostConfig?.ExtraHosts).toEqual(['host.docker.internal:host-gateway'])
    expect(spec.HostConfig?.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '3000' }] })
    expect(spec.Labels).toMatchObject({
      'inferadmin.managed': 'true',
      'inferadmin.kind': 'webui',
      'inferadmin.port': '3000',
      'inferadmin.webui.tag': 'main',
    })
  })

  it('asks for sign-up closed when published; only the setup container (127.0.0.1, a port Docker picks) has it open', () => {
    const published = webuiContainerSpec({ ...base, endpoints: [] })
    expect(published.Env).toContain('ENABLE_SIGNUP=false')
    expect(published.name).toBe('inferadmin-open-webui')
    const setup = webuiContainerSpec({ ...base, endpoints: [{ deploymentId: 'a', name: 'a', port: 8001 }], setup: true })
    expect(setup.name).toBe('inferadmin-open-webui-setup')
    const firstStart = ['ENABLE_SIGNUP=true', 'OPENAI_API_BASE_URLS=http://host.docker.internal:8001/v1', 'WEBUI_SECRET_KEY=s3cret']
    expect(setup.Env).toEqual(expect.arrayContaining(firstStart))
    expect(setup.HostConfig?.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] })
    expect(setup.HostConfig?.RestartPolicy).toEqual({ Name: 'no' })
    expect(setup.Labels).toMatchObject({ 'inferadmin.managed': 'true', 'inferadmin.kind': 'webui-setup' })
    expect(setup.HostConfig?.Binds).toEqual([`${WEBUI_VOLUME}:/app/backend/data`])
  })

  it('sets no URL list without ready deployments (the first sync then owns the list)', () => {
    const env = webuiContainerSpec({ ...base, endpoints: [] }).Env ?? []
    expect(env.some((e) => e.startsWith('OPENAI_API_BASE_URLS='))).toBe(false)
  })

  it('knows which interfaces a container cannot reach', () => {
    expect(['127.0.0.1', '127.0.1.1', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true])
    expect(['0.0.0.0', '192.168.1.5', '::'].map(isLoopback)).toEqual([false, false, false])
    expect(baseUrlOf(8000)).toBe('http://host.docker.internal:8000/v1')
  })
})
