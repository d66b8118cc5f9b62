/**
 * Seeds a realistic workstation for the README screenshots when the simulated workstation is up
 * (`eval "$(npm run -s sim -- up)"`): a pulled model, a ready deployment on GPU 1 and a program using
 * 3000 MiB on GPU 0. Without the sim it does nothing.
 */
import { setExternalGpuUsage } from '../test/sim/gpu-control.js'

interface Api {
  url: string
  token: string
}

async function call<T>(api: Api, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${api.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

export function simAvailable(env = process.env): boolean {
  return Boolean(env.DOCKER_HOST && env.HF_ENDPOINT && env.INFERADMIN_SIM_VLLM_IMAGE && env.INFERADMIN_NVIDIA_SMI)
}

/** Returns a cleanup function that stops and deletes what it created. */
export async function seedWorkstation(api: Api): Promise<() => Promise<void>> {
  const job = await call<{ id: string }>(api, 'POST', '/models/pull', { repo: 'inferadmin-sim/tiny-chat' })
  await until('the model pull', async () => {
    const j = await call<{ state: string; error?: { message: string } }>(api, 'GET', `/jobs/${job.id}`)
    if (j.state === 'failed') throw new Error(`pull failed: ${j.error?.message}`)
    return j.state === 'done' ? true : undefined
  })
  const gpus = await until('GPU samples', async () => {
    const g = await call<{ gpus: { uuid: string }[] }>(api, 'GET', '/gpus')
    return g.gpus.length >= 2 ? g.gpus : undefined
  })
  setExternalGpuUsage(0, 3000)
  const dep = await call<{ definition: { id: string } }>(api, 'POST', '/deployments', {
    name: 'tiny-chat',
    model: { repo: 'inferadmin-sim/tiny-chat' },
    image: `${process.env.INFERADMIN_SIM_VLLM_IMAGE}:v0.21.0`,
    gpus: [gpus[1]?.uuid],
    args: { '--gpu-memory-utilization': 0.5 },
  })
  const id = dep.definition.id
  await call(api, 'POST', `/deployments/${id}/start`)
  await until('the deployment to be ready', async () => {
    const d = await call<{ status: { state: string; vramMiB: number | null; diagnosis: unknown } }>(api, 'GET', `/deployments/${id}`)
    if (d.status.state === 'failed') throw new Error(`the deployment failed: ${JSON.stringify(d.status.diagnosis)}`)
    return d.status.state === 'ready' && d.status.vramMiB ? true : undefined
  })
  return async () => {
    setExternalGpuUsage(0, 0)
    await call(api, 'DELETE', `/deployments/${id}`).catch(() => undefined)
  }
}
