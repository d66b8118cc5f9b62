import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The sampler worker in the source tree (tests run it directly; it is plain JavaScript). */
export const SOURCE_GPU_WORKER_FILE = fileURLToPath(new URL('./gpu-worker.js', import.meta.url))

/** nvidia-smi to run: INFERADMIN_NVIDIA_SMI (a path) or `nvidia-smi` looked up on PATH. */
export function nvidiaSmiPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.INFERADMIN_NVIDIA_SMI?.trim() || 'nvidia-smi'
}

/**
 * The built sampler worker sits beside the built pool worker (out/main/gpu-worker.js); from source
 * (the pool worker in src/main/core/workers) it is the source file.
 */
export function gpuWorkerBeside(poolWorkerFile: string | undefined): string {
  const built = poolWorkerFile ? join(dirname(poolWorkerFile), 'gpu-worker.js') : undefined
  return built && existsSync(built) ? built : SOURCE_GPU_WORKER_FILE
}
