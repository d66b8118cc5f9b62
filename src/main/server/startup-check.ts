import { call } from '@orpc/server'
import type { Logger } from 'pino'
import type { AppRouter } from '../core/router'

/**
 * After the server is up: runs the doctor once and logs each failing check as a warning with its fix, so the
 * console says what is missing (Docker not reachable, no NVIDIA support in Docker, a full disk) without a browser.
 * Left out: the driver check (the GPU sampler already says when nvidia-smi is missing or fails) and, when Docker
 * itself is not reachable, the GPU-in-Docker check that follows from it. Warnings (no Hugging Face token) stay in
 * the doctor.
 */
export async function reportStartupProblems(router: AppRouter, logger: Logger, signal: AbortSignal): Promise<void> {
  let checks
  try {
    ;({ checks } = await call(router.host.doctor, undefined, { context: {}, signal }))
  } catch (err) {
    if (!signal.aborted) logger.warn({ detail: (err as Error).message }, 'the startup checks did not run')
    return
  }
  if (signal.aborted) return
  const dockerDown = checks.some((c) => c.id === 'docker' && c.status === 'fail')
  for (const c of checks) {
    if (c.status !== 'fail' || c.id === 'driver' || (dockerDown && c.id === 'gpu-docker')) continue
    logger.warn({ check: c.id, fix: c.fix }, c.detail)
  }
}
