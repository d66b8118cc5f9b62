// @ts-check
/**
 * The planner benchmarks' day (issue #16), shared by bench/planner.js (decision replay) and bench/planner-gateway.js
 * (the same trace through the real gateway): six models of different sizes with the shapes of real checkpoints, one
 * of them an always-on embedding model, their traffic per day, the seed, and the simulated RTX 4090.
 */
import { makeTrace } from './trace.js'

export const SEED = 16
export const MiB = 1024 ** 2
/** RTX 4090 as the simulated workstation reports it: 24564 MiB, 400 MiB reserved by the driver (torch's total). */
export const GPU_TOTAL_MIB = 24_564
export const GPU_RESERVED_MIB = 400
export const TOTAL = (GPU_TOTAL_MIB - GPU_RESERVED_MIB) * MiB
/** Sim seconds → real seconds: the simulated startup timeline × 20 puts small models at 40–52 s (bench/planner.js). */
export const SIM_TO_REAL = 20

/**
 * Shapes of real checkpoints (weights GiB, layers, KV heads, head dim, hidden; ctx/seqs: the embedding model's KV
 * budget, else the planner's defaults of 4 × 8192 tokens); traffic per day (sessions, requests per session, gap and
 * generation seconds).
 */
export const MODELS = [
  {
    id: 'embed-bge-m3',
    w: 1.1,
    layers: 24,
    kv: 16,
    dim: 64,
    hidden: 1024,
    ctx: 8192,
    seqs: 1,
    alwaysOn: true,
    sessions: 120,
    per: 8,
    gap: 5,
    dur: 0.3,
  },
  { id: 'qwen2.5-1.5b', w: 3.1, layers: 28, kv: 2, dim: 128, hidden: 1536, alwaysOn: false, sessions: 40, per: 6, gap: 30, dur: 4 },
  { id: 'llama-3.2-3b', w: 6.0, layers: 28, kv: 8, dim: 128, hidden: 3072, alwaysOn: false, sessions: 24, per: 5, gap: 40, dur: 6 },
  { id: 'llama-3.1-8b-awq', w: 5.5, layers: 32, kv: 8, dim: 128, hidden: 4096, alwaysOn: false, sessions: 20, per: 6, gap: 45, dur: 8 },
  { id: 'qwen2.5-coder-7b', w: 14.2, layers: 28, kv: 4, dim: 128, hidden: 3584, alwaysOn: false, sessions: 30, per: 8, gap: 60, dur: 10 },
  { id: 'qwen2.5-14b-awq', w: 9.4, layers: 48, kv: 8, dim: 128, hidden: 5120, alwaysOn: false, sessions: 8, per: 4, gap: 90, dur: 15 },
]

/** @typedef {(typeof MODELS)[number]} DayModel */

/** KV bytes per token of a model (fp16 cache, tensor parallel 1). @param {DayModel} m */
export const kvBytesPerToken = (m) => 2 * m.layers * m.kv * m.dim * 2

/** The simulated vLLM's seconds from start to ready × SIM_TO_REAL (startup.js phases at speed 1). @param {DayModel} m */
export function loadSeconds(m) {
  // device 0.1 + weights 0.05 + 0.5 + min(0.6, 0.04 s/GiB) + compile 0.45 + kv 0.25 + graphs 0.5 + engine 0.1.
  const simSeconds = 0.1 + 0.05 + 0.5 + Math.min(0.6, m.w * 0.04) + 0.45 + 0.25 + 0.5 + 0.1
  return Math.round(simSeconds * SIM_TO_REAL * 10) / 10
}

/** The day's requests (bench/lib/trace.js, seed SEED). */
export function dayTrace() {
  return makeTrace({
    seed: SEED,
    models: MODELS.map((m) => ({
      id: m.id,
      sessionsPerDay: m.sessions,
      requestsPerSession: m.per,
      gapSeconds: m.gap,
      durationSeconds: m.dur,
    })),
  })
}
