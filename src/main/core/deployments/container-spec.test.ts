import { describe, expect, it } from 'vitest'
import type { DeploymentDefinition } from '../../../shared/contract/deployments'
import { Settings, sizeBytes } from '../../../shared/settings'
import { defaultSettings } from '../settings/defaults'
import { containerName, containerSpec, type SpecInput } from './container-spec'

const def: DeploymentDefinition = {
  id: '0b59584f-0224-40ce-97b7-40a294c90170',
  name: 'Qwen chat',
  model: { repo: 'Qwen/Qwen3-0.6B', revision: 'main' },
  image: 'vllm/vllm-openai:v0.21.0',
  alwaysLatest: false,
  sleepMode: 'off',
  gpus: ['GPU-aaaa', 'GPU-bbbb'],
  restartPolicy: 'unless-stopped',
  ipcHost: false,
  env: { VLLM_LOGGING_LEVEL: 'DEBUG' },
  args: {},
  extraArgs: '',
  serve: 'on-demand',
  aliases: [],
  createdAt: '',
  updatedAt: '',
}

const GIB = 2 ** 30
const base: SpecInput = {
  def,
  argv: ['--max-model-len', '4096'],
  storePath: '/data/hub',
  commit: 'c'.repeat(40),
  hostPort: 18000,
  listenInterface: '127.0.0.1',
  imageHasHealthcheck: true,
  shmSizeBytes: 16 * GIB,
}

describe('container create options', () => {
  it('labels, read-only HF cache, offline hub, --model, TP from the GPUs, GPUs by UUID, port on the interface', () => {
    const s = containerSpec(base)
    expect(s.name).toBe('inferadmin-qwen-chat-0b59584f')
    expect(s.Cmd).toEqual(['--model', 'Qwen/Qwen3-0.6B', '--tensor-parallel-size', '2', '--max-model-len', '4096'])
    expect(s.Env).toEqual(['VLLM_LOGGING_LEVEL=DEBUG', 'HF_HUB_OFFLINE=1'])
    expect(s.Labels).toMatchObject({
      'inferadmin.managed': 'true',
      'inferadmin.kind': 'vllm',
      'inferadmin.deployment': def.id,
      'inferadmin.model': 'Qwen/Qwen3-0.6B',
      'inferadmin.revision': 'c'.repeat(40),
      'inferadmin.port': '18000',
    })
    expect(s.HostConfig?.Binds).toEqual(['/data/hub:/root/.cache/huggingface/hub:ro'])
    expect(s.HostConfig?.DeviceRequests).toEqual([
      { Driver: '', Count: 0, DeviceIDs: ['GPU-aaaa', 'GPU-bbbb'], Capabilities: [['gpu']], Options: {} },
    ])
    expect(s.HostConfig?.PortBindings).toEqual({ '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '18000' }] })
    expect(s.HostConfig?.RestartPolicy).toEqual({ Name: 'unless-stopped' })
    expect(s.Healthcheck).toBeUndefined()
  })

  it("a private /dev/shm of the set size, not the host's IPC namespace, unless the deployment opts in", () => {
    const s = containerSpec(base)
    expect(s.HostConfig?.IpcMode).toBeUndefined()
    expect(s.HostConfig?.ShmSize).toBe(16 * GIB)
    const host = containerSpec({ ...base, def: { ...def, ipcHost: true } })
    expect(host.HostConfig?.IpcMode).toBe('host')
    expect(host.HostConfig?.ShmSize).toBeUndefined()
  })

  it('never puts an HF token into the container (only what the user wrote into env)', () => {
    // The old option is gone from the type; a caller passing it anyway must not leak the token into `docker inspect`.
    const s = containerSpec({ ...base, hfToken: 'hf_secretsecret' } as SpecInput)
    expect(s.Env).toEqual(['VLLM_LOGGING_LEVEL=DEBUG', 'HF_HUB_OFFLINE=1'])
    expect(JSON.stringify(s)).not.toContain('hf_secretsecret')
  })

  it('the shared-memory setting: default 10.24g (vLLM run_cluster.sh), Docker size syntax, clear errors', () => {
    const d = defaultSettings({ configDir: '/x', dataDir: '/x' }, { INFERADMIN_HOME: '/x' })
    expect(d.vllmShmSize).toBe('10.24g')
    expect(sizeBytes(d.vllmShmSize)).toBe(Math.floor(10.24 * GIB))
    expect(sizeBytes('16g')).toBe(17179869184)
    expect(sizeBytes('512m')).toBe(512 * 2 ** 20)
    expect(sizeBytes('2GiB')).toBe(2 * GIB)
    expect(sizeBytes('lots')).toBeNaN()
    const check = (v: string) => Settings.safeParse({ ...d, vllmShmSize: v }).error?.issues[0]?.message
    expect(check('16g')).toBeUndefined()
    expect(check('lots')).toMatch(/a size such as 10\.24g, 16g or 512m/)
    expect(check('1m')).toMatch(/from 64m/)
    expect(check('4096g')).toMatch(/to 1024g/)
  })

  it('adds a /health HEALTHCHECK when the image has none, pins a non-main revision to its commit, one GPU needs no TP flag', () => {
    const one = { ...def, gpus: ['GPU-aaaa'], model: { repo: 'a/b', revision: 'v1' } }
    const s = containerSpec({ ...base, def: one, argv: [], commit: 'd'.repeat(40), imageHasHealthcheck: false })
    expect(s.Cmd).toEqual(['--model', 'a/b', '--revision', 'd'.repeat(40)])
    expect(s.Healthcheck?.Test?.[1]).toContain('http://127.0.0.1:8000/health')
    expect(containerName({ id: 'x', name: '***' })).toBe('inferadmin-deployment-x')
  })
})
