import { describe, expect, it } from 'vitest'
import { dockerOptions } from './endpoint'

describe('dockerOptions', () => {
  it('uses the setting, else DOCKER_HOST, else the default socket', () => {
    expect(dockerOptions('unix:///run/user/1000/docker.sock', { DOCKER_HOST: 'tcp://10.0.0.2:2375' })).toEqual({
      socketPath: '/run/user/1000/docker.sock',
      endpoint: 'unix:///run/user/1000/docker.sock',
    })
    expect(dockerOptions('', { DOCKER_HOST: 'unix:///tmp/d.sock' })).toEqual({ socketPath: '/tmp/d.sock', endpoint: 'unix:///tmp/d.sock' })
    expect(dockerOptions('', {})).toEqual({ socketPath: '/var/run/docker.sock', endpoint: 'unix:///var/run/docker.sock' })
    expect(dockerOptions('/var/run/docker.sock', {})).toEqual({
      socketPath: '/var/run/docker.sock',
      endpoint: 'unix:///var/run/docker.sock',
    })
  })

  it('reaches a TCP engine over http, or https with DOCKER_TLS_VERIFY', () => {
    expect(dockerOptions('tcp://gpu-box:2375', {})).toMatchObject({ host: 'gpu-box', port: 2375, protocol: 'http' })
    expect(dockerOptions('tcp://gpu-box', { DOCKER_TLS_VERIFY: '1' })).toMatchObject({ host: 'gpu-box', port: 2376, protocol: 'https' })
  })

  it('names what it cannot use', () => {
    expect(() => dockerOptions('ssh://me@gpu-box', {})).toThrow(/unsupported Docker endpoint "ssh:\/\/me@gpu-box"/)
  })
})
