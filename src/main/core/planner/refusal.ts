/**
 * A refused start (issue #16): the error the gateway answers with 503 + Retry-After and a manual start fails with, and
 * the fix it names (pure: what the user can do about the holders of the memory).
 */
import type { Holder } from './evict'

/** A start refused for memory: the message names what holds the memory, `fix` what to do about it. */
export class CannotFitError extends Error {
  readonly retryAfterSeconds: number
  readonly fix: string
  /** For a fixed --gpu-memory-utilization: the largest that fits now (the one-click fix), if one does. */
  readonly fitsUtilization: number | null
  constructor(message: string, retryAfterSeconds: number, fix = GENERIC_FIX, fitsUtilization: number | null = null) {
    super(message)
    this.name = 'CannotFitError'
    this.retryAfterSeconds = retryAfterSeconds
    this.fix = fix
    this.fitsUtilization = fitsUtilization
  }
}

/**
 * The largest --gpu-memory-utilization (2 decimals, rounded down) that fits the usable memory of every GPU of a start
 * now, for a user who set a fixed one that does not fit; null when it is not lower than asked or below 0.05.
 */
export function fittingUtilization(o: { asked: number; gpus: readonly { usableBytes: number; totalBytes: number }[] }): number | null {
  if (o.gpus.length === 0) return null
  const fits = Math.floor(Math.min(...o.gpus.map((g) => g.usableBytes / g.totalBytes)) * 100) / 100
  return fits >= 0.05 && fits < o.asked ? fits : null
}

export const GENERIC_FIX = 'Stop a model on that GPU or free memory other programs hold, then start it again.'

const list = (names: string[]): string => {
  const u = [...new Set(names)]
  return u.length <= 1 ? (u[0] ?? '') : `${u.slice(0, -1).join(', ')} and ${u.at(-1)}`
}

/**
 * What to do about a refusal, from what holds the memory: models that cannot be evicted (always-on, busy, loading)
 * and other programs. No holder at all: the model is bigger than the GPU allows, so ask less of it.
 */
export function refusalFix(holders: readonly Pick<Holder, 'why' | 'name' | 'gpu'>[]): string {
  if (holders.length === 0)
    return 'Ask less of it: lower its context tokens or sequences (memory auto) or its utilization, use a quantized model, or give it more GPUs.'
  const of = (why: Holder['why']): string[] => holders.filter((h) => h.why === why).map((h) => h.name ?? 'a model')
  const steps: string[] = []
  const busy = of('in-flight')
  const loading = of('loading')
  const always = of('always-on')
  if (busy.length) steps.push(`wait for the requests of ${list(busy)} to finish or stop it`)
  if (loading.length) steps.push(`wait for ${list(loading)} to finish loading or stopping`)
  if (always.length) steps.push(`stop ${list(always)} (always-on models are never evicted) or set it to on-demand`)
  const gpus = [...new Set(holders.filter((h) => h.why === 'external').map((h) => h.gpu))]
  if (gpus.length) steps.push(`free the memory other programs hold on GPU ${gpus.join(', ')} (the GPU page lists them)`)
  const text = steps.join('; ')
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}; then start it again.`
}
