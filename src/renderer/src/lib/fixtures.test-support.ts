/** Contract objects for the renderer's unit tests, parsed through the real schemas (defaults filled in). */
import { Deployment, type DeploymentState } from '@shared/contract/deployments'

export function deployment(
  o: { name?: string; state?: DeploymentState; args?: Record<string, string | number | boolean | string[]>; endpoint?: string } = {},
): Deployment {
  const now = '2025-01-01T00:00:00.000Z'
  return Deployment.parse({
    definition: {
      id: `id-${o.name ?? 'chat'}`,
      createdAt: now,
      updatedAt: now,
      name: o.name ?? 'chat',
      model: { repo: 'Qwen/Qwen3-0.6B' },
      image: 'vllm/vllm-openai:v0.21.0',
      gpus: ['GPU-0000'],
      hostPort: 8001,
      args: o.args ?? {},
    },
    status: {
      state: o.state ?? 'stopped',
      phase: null,
      progress: null,
      etaSeconds: null,
      containerId: null,
      hostPort: o.endpoint ? 8001 : null,
      endpoint: o.endpoint ?? null,
      listen: o.endpoint ? '127.0.0.1' : null,
      networkUrls: [],
      since: now,
      startedAt: null,
      readyAt: null,
      timings: [],
      diagnosis: null,
      gpuWarning: null,
      commit: null,
      vramMiB: null,
    },
  })
}
