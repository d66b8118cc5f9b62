import { fileURLToPath } from 'node:url'

/**
 * The sampler worker next to this module: src/main/core/gpu/gpu-worker.js from source (it is plain
 * JavaScript), out/main/gpu-worker.js in the build (this module is bundled into out/main).
 */
export const GPU_WORKER_FILE = fileURLToPath(new URL('./gpu-worker.js', import.meta.url))

/** nvidia-smi to run: INFERADMIN_NVIDIA_SMI (a path) or `nvidia-smi` looked up on PATH. */
export function nvidiaSmiPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.INFERADMIN_NVIDIA_SMI?.trim() || 'nvidia-smi'
}
