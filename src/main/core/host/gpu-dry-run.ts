import type Dockerode from 'dockerode'
import type { GpuDryRunResult } from '../../../shared/contract/host'
import { dockerUnreachableText } from '../docker/errors'
import { demuxText } from '../docker/frames'
import { isPinned } from '../docker/image-ref'
import { imagePresent } from '../docker/pull'
import { TOOLKIT_FIX } from './checks-docker'

const TITLE = 'GPU dry run'
const DRY_RUN_TIMEOUT_MS = 60_000

/** The first local image among the candidates: a full reference, or any tag of a repository. */
export async function pickLocalImage(docker: Dockerode, candidates: string[]): Promise<string | null> {
  for (const ref of candidates.filter(Boolean)) {
    if (isPinned(ref)) {
      if (await imagePresent(docker, ref)) return ref
      continue
    }
    const images = await docker.listImages({ filters: { reference: [ref] } })
    const tag = images.flatMap((i) => i.RepoTags ?? []).find((t) => t !== '<none>:<none>')
    if (tag) return tag
  }
  return null
}

function failureFix(message: string): string {
  if (/could not select device driver|unknown or invalid runtime name: nvidia/i.test(message)) return TOOLKIT_FIX
  if (/driver not loaded|driver\/library version mismatch|nvml error/i.test(message)) {
    return 'The toolkit is there but the driver is not usable: fix the NVIDIA driver check (load the module or reboot), then run the dry run again.'
  }
  if (/unsatisfied condition: cuda/i.test(message))
    return 'The image needs a newer CUDA than the driver supports: update the NVIDIA driver or use an older image tag.'
  return 'Read the message above; run `docker run --rm --gpus all <image> nvidia-smi -L` in a terminal to reproduce it.'
}

/**
 * Creates and starts a tiny container with a GPU request (`--gpus all`: Driver "", Count -1,
 * Capabilities [["gpu"]]) running `nvidia-smi -L`, and reports what it printed. Always removes it.
 */
export async function gpuDryRun(docker: Dockerode, candidates: string[], signal?: AbortSignal): Promise<GpuDryRunResult> {
  const started = Date.now()
  const result = (r: Omit<GpuDryRunResult, 'id' | 'title' | 'durationMs'>): GpuDryRunResult => ({
    id: 'gpu-dry-run',
    title: TITLE,
    durationMs: Date.now() - started,
    ...r,
  })
  let image: string | null
  try {
    image = await pickLocalImage(docker, candidates)
  } catch (err) {
    const fix = 'Fix the Docker check first.'
    return result({ status: 'fail', detail: dockerUnreachableText(err), fix, image: null, exitCode: null, output: '' })
  }
  if (!image) {
    return result({
      status: 'warn',
      detail: `No local image to test with (looked for ${candidates.filter(Boolean).join(', ')}); nothing was started.`,
      fix: `Pull a vLLM image first (e.g. \`docker pull ${candidates.at(-1) ?? 'vllm/vllm-openai'}:latest\`), then run the dry run again.`,
      image: null,
      exitCode: null,
      output: '',
    })
  }
  const timeout = AbortSignal.timeout(DRY_RUN_TIMEOUT_MS)
  const sig = signal ? AbortSignal.any([signal, timeout]) : timeout
  let container: Dockerode.Container | undefined
  try {
    container = await docker.createContainer({
      Image: image,
      Entrypoint: ['nvidia-smi'],
      Cmd: ['-L'],
      Labels: { 'inferadmin.managed': 'true', 'inferadmin.kind': 'doctor' },
      HostConfig: {
        NetworkMode: 'none',
        DeviceRequests: [{ Driver: '', Count: -1, DeviceIDs: null as unknown as string[], Capabilities: [['gpu']], Options: {} }],
      },
      abortSignal: sig,
    })
    await container.start({ abortSignal: sig })
    const waited = (await container.wait({ abortSignal: sig })) as { StatusCode: number }
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer
    const output = demuxText(Buffer.isBuffer(logs) ? logs : Buffer.from(String(logs)))
      .trim()
      .slice(0, 4000)
    const gpus = output.split('\n').filter((l) => /^GPU \d+:/.test(l.trim()))
    if (waited.StatusCode === 0 && gpus.length > 0) {
      return result({
        status: 'ok',
        detail: `A container got ${gpus.length} GPU(s): ${gpus.join('; ')}`,
        fix: null,
        image,
        exitCode: 0,
        output,
      })
    }
    return result({
      status: 'fail',
      detail: `The test container exited with code ${waited.StatusCode}${output ? `: ${output.split('\n').slice(0, 3).join(' ')}` : ' and printed nothing'}.`,
      fix: failureFix(output),
      image,
      exitCode: waited.StatusCode,
      output,
    })
  } catch (err) {
    const message = timeout.aborted
      ? `the test container did not finish within ${DRY_RUN_TIMEOUT_MS / 1000} s`
      : ((err as { json?: { message?: string } }).json?.message ?? (err as Error).message)
    return result({
      status: 'fail',
      detail: `Docker could not run a container with a GPU request: ${message}`,
      fix: failureFix(message),
      image,
      exitCode: null,
      output: '',
    })
  } finally {
    await container?.remove({ force: true }).catch(() => undefined)
  }
}
