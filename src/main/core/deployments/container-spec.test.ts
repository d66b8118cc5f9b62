import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { DeploymentDefinition } from '../../../shared/contract/deployments'
import { containerName, containerSpec, freePort, portFree } from './container-spec'

const def: DeploymentDefinition = {
  id: '0b59584f-0224-40ce-97b7-40a294c90170',
  name: 'Qwen chat',
  model: { repo: 'Qwen/Qwen3-0.6B', revision: 'main' },
  image: 'vllm/vllm-openai:v0.21.0',
  alwaysLatest: false,
  gpus: ['GPU-aaaa', 'GPU-bbbb'],
  restartPolicy: 'unless-stopped',
  env: { VLLM_LOGGING_LEVEL: 'DEBUG' },
  args: {},
  extraArgs: '',
  createdAt: '',
  updatedAt: '',
}

describe('container create options', () => {
  it('labels, read-only HF cache, offline hub, --model, TP from the GPUs, host IPC, GPUs by UUID, port on the interface', () => {
    const s = containerSpec({ def, argv: ['--max-model-len', '4096'], storePath: '/data/hub', commit: 'c'.repeat(40), hostPort: 18000, listenInterface: '127.0.0.1', imageHasHealthcheck: true })
    expect(s.name).toBe('inferadmin-qwen-chat-0b59584f')
    expect(s.Cmd).toEqual(['--model', 'Qwen/Qwen3-0.6B', '--tensor-parallel-size', '2', '--max-model-len', '4096'])
    expect(s.Env).toEqual(['VLLM_LOGGING_LEVEL=DEBUG', 'HF_HUB_OFFLINE=1'])
    expect(s.Labels).toMatchObject({ 'inferadmin.managed': 'true', 'inferadmin.kind': 'vllm', 'inferadmin.deployment': def.id, 'inferadmin.model': 'Qwen/Qwen3-0.6B', 'inferadmin.revision': 'c'.repeat(40), 'inferadmin.port': '18000' })
    expect(s.HostConfig?.Binds).toEqual(['/data/hub:/root/.cache/huggingface/hub:ro'])
    expect(s.HostConfig?.IpcMode).toBe('host')
    expect(s.HostConfig?.DeviceRequests).toEqual([{ Driver: '', Count: 0, DeviceIDs: ['GPU-aaaa', 'GPU-bbbb'], Capabilities: [['gpu']], Options: {} }])
    expect(s.HostConfig?.PortBindings).toEqual({ '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '18000' }] })
    expect(s.HostConfig?.RestartPolicy).toEqual({ Name: 'unless-stopped' })
    expect(s.Healthcheck).toBeUndefined()
  })

  it('adds a /health HEALTHCHECK when the image has none, pins a non-main revision to its commit, one GPU needs no TP flag', () => {
    const s = containerSpec({ def: { ...def, gpus: ['GPU-aaaa'], model: { repo: 'a/b', revision: 'v1' } }, argv: [], storePath: '/s', commit: 'd'.repeat(40), hostPort: 1, listenInterface: '0.0.0.0', imageHasHealthcheck: false })
    expect(s.Cmd).toEqual(['--model', 'a/b', '--revision', 'd'.repeat(40)])
    expect(s.Healthcheck?.Test?.[1]).toContain('http://127.0.0.1:8000/health')
    expect(containerName({ id: 'x', name: '***' })).toBe('inferadmin-deployment-x')
  })

  it('finds a free port and sees it taken', async () => {
    const port = await freePort('127.0.0.1')
    expect(port).toBeGreaterThan(0)
    expect(await portFree('127.0.0.1', port)).toBe(true)
    const srv = createServer().listen(port, '127.0.0.1')
    await new Promise((r) => srv.once('listening', r))
    try {
      expect(await portFree('127.0.0.1', port)).toBe(false)
    } finally {
      srv.close()
    }
  })
})
