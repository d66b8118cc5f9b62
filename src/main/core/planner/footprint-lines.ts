/**
 * vLLM's startup and sleep log lines → a memory footprint (pure). Every wording that
 * shared/reference/gateway-facts.md §2.1, §2.2 and §0.4 list, from v0.10.0 (2025-07) to the 2026 V2 runner:
 * sizes are GiB (2^30) printed `%.4f`, `%.2f` or `%s` (`7.0`), sometimes glued to the unit (`%sGiB`); token counts
 * carry thousands separators. Lines may come with or without the `(EngineCore pid=N)` / `(Worker_TPk pid=N)` prefix;
 * with tensor parallelism each rank prints its own line and the largest value is kept (the planner needs the worst
 * rank). A partial log (a crash, a follower that joined late) gives a partial footprint: unknown fields stay null.
 */

export const GiB = 1024 ** 3

/** Seconds by startup phase, each null until its line is seen. */
export interface LoadSeconds {
  /** `Loading weights took X seconds` (the loader) or the time in `Model loading took … and X seconds`. */
  weights: number | null
  /** `torch.compile takes X s in total`. */
  compile: number | null
  /** `Memory profiling takes X seconds` (DEBUG builds and logs). */
  profiling: number | null
  /** `Graph capturing finished in X secs`. */
  graphs: number | null
  /** `init engine (profile, create kv cache, warmup model) took X s[econds]`: everything after the weights. */
  engine: number | null
}

/** What one start of vLLM used per GPU (rank), in bytes. */
export interface Footprint {
  weightsBytes: number | null
  /** Peak activation of the profiling forward pass (DEBUG lines only). */
  activationPeakBytes: number | null
  /** NCCL, cuBLAS workspaces, CUDA context (DEBUG lines only). */
  nonTorchBytes: number | null
  /** CUDA-graph pool: measured (`Graph capturing … took`, `pool memory … (actual)`) or else vLLM's estimate. */
  cudaGraphBytes: number | null
  cudaGraphSource: 'measured' | 'estimated' | null
  /** True when vLLM ≥ v0.21 sized the KV cache after subtracting the graph estimate (graphs inside the fraction). */
  graphsInBudget: boolean | null
  kvCacheBytes: number | null
  /** `profiled` (Available KV cache memory) or `specified` (--kv-cache-memory-bytes: no profiling). */
  kvCacheSource: 'profiled' | 'specified' | null
  kvCacheTokens: number | null
  /** `Maximum concurrency for N tokens per request: Xx`. */
  maxConcurrency: { tokensPerRequest: number; times: number } | null
  /** `Total non KV cache memory` of the profiling line (DEBUG). */
  nonKvBytes: number | null
  loadSeconds: LoadSeconds
}

/** What the sleep-mode lines tell (gateway-facts §1.7). */
export interface SleepFacts {
  freedBytes: number | null
  /** Whole-GPU memory still in use after the sleep (other processes included, §1.4). */
  stillInUseBytes: number | null
  backedUpBytes: number | null
  fallAsleepSeconds: number | null
  wakeSeconds: number | null
}

export function emptyFootprint(): Footprint {
  return {
    weightsBytes: null,
    activationPeakBytes: null,
    nonTorchBytes: null,
    cudaGraphBytes: null,
    cudaGraphSource: null,
    graphsInBudget: null,
    kvCacheBytes: null,
    kvCacheSource: null,
    kvCacheTokens: null,
    maxConcurrency: null,
    nonKvBytes: null,
    loadSeconds: { weights: null, compile: null, profiling: null, graphs: null, engine: null },
  }
}

const N = '(\\d+(?:\\.\\d+)?)'
const gib = (s: string | undefined): number => Math.round(Number(s) * GiB)
const num = (s: string | undefined): number => Number((s ?? '').replace(/,/g, ''))
const max = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b))

const RE = {
  modelLoading: new RegExp(`Model loading took ${N} ?GiB (?:memory )?and ${N} seconds`),
  loadingWeights: new RegExp(`Loading weights took ${N} seconds`),
  compile: new RegExp(`torch\\.compile takes ${N} s in total`),
  profiling: new RegExp(
    `Memory profiling takes ${N} seconds\\. Total non KV cache memory: ${N} ?GiB; torch peak memory increase: ${N} ?GiB; ` +
      `non-torch forward increase memory: ${N} ?GiB; weights memory: ${N} ?GiB`,
  ),
  debugUsage: new RegExp(
    `Actual usage is ${N} ?GiB for weight, ${N} ?GiB for peak activation, ${N} ?GiB for non-torch memory, and ${N} ?GiB for CUDAGraph memory`,
  ),
  debugKv: new RegExp(`Current kv cache memory in use is ${N} ?GiB`),
  availableKv: new RegExp(`Available KV cache memory: ${N} ?GiB`),
  specifiedKv: new RegExp(`reserved ${N} ?GiB memory for KV Cache`),
  kvTokens: /GPU KV cache size: ([\d,]+) tokens/,
  concurrency: new RegExp(`Maximum concurrency for ([\\d,]+) tokens per request: ${N}x`),
  graphsMeasured: new RegExp(`Graph capturing finished in ${N} secs, took ${N} ?GiB`),
  graphsEstimated: new RegExp(`Estimated CUDA graph memory: ${N} ?GiB total`),
  graphPool: new RegExp(`CUDA graph pool memory: ${N} ?GiB \\(actual\\), ${N} ?GiB \\(estimated\\)`),
  graphsInBudget: /CUDA graph memory profiling is enabled/,
  initEngine: new RegExp(`init engine \\(profile, create kv cache, warmup model\\) took ${N} s`),
  sleepFreed: new RegExp(`Sleep mode freed ${N} ?GiB memory, ${N} ?GiB memory is still in use`),
  cumem: new RegExp(`sleep freed ${N} ?GiB memory in total, of which ${N} ?GiB is backed up in CPU`),
  asleep: new RegExp(`It took ${N} seconds to fall asleep`),
  wake: new RegExp(`It took ${N} seconds to wake up`),
}

/** A graph size: a measurement replaces an estimate and is never replaced by one. */
function graphs(fp: Footprint, bytes: number, source: 'measured' | 'estimated'): void {
  if (source === 'estimated' && fp.cudaGraphSource === 'measured') return
  fp.cudaGraphBytes = fp.cudaGraphSource === source ? max(fp.cudaGraphBytes, bytes) : bytes
  fp.cudaGraphSource = source
}

/** One log line folded into a footprint (returns a new record; lines that say nothing about memory change nothing). */
export function applyFootprintLine(fp: Footprint, line: string): Footprint {
  const out: Footprint = { ...fp, loadSeconds: { ...fp.loadSeconds } }
  const s = out.loadSeconds
  let m: RegExpExecArray | null
  if ((m = RE.modelLoading.exec(line))) {
    out.weightsBytes = max(out.weightsBytes, gib(m[1]))
    s.weights = max(s.weights, Number(m[2]))
  } else if ((m = RE.loadingWeights.exec(line))) {
    s.weights = max(s.weights, Number(m[1]))
  } else if ((m = RE.compile.exec(line))) {
    s.compile = max(s.compile, Number(m[1]))
  } else if ((m = RE.profiling.exec(line))) {
    s.profiling = max(s.profiling, Number(m[1]))
    out.nonKvBytes = max(out.nonKvBytes, gib(m[2]))
    out.activationPeakBytes = max(out.activationPeakBytes, gib(m[3]))
    out.nonTorchBytes = max(out.nonTorchBytes, gib(m[4]))
    out.weightsBytes = max(out.weightsBytes, gib(m[5]))
  } else if ((m = RE.debugUsage.exec(line))) {
    out.weightsBytes = max(out.weightsBytes, gib(m[1]))
    out.activationPeakBytes = max(out.activationPeakBytes, gib(m[2]))
    out.nonTorchBytes = max(out.nonTorchBytes, gib(m[3]))
    graphs(out, gib(m[4]), 'estimated')
    const kv = RE.debugKv.exec(line)
    if (kv && out.kvCacheBytes === null) out.kvCacheBytes = gib(kv[1])
  } else if ((m = RE.availableKv.exec(line))) {
    out.kvCacheBytes = max(out.kvCacheBytes, gib(m[1]))
    out.kvCacheSource = 'profiled'
  } else if ((m = RE.specifiedKv.exec(line))) {
    out.kvCacheBytes = max(out.kvCacheBytes, gib(m[1]))
    out.kvCacheSource = 'specified'
  } else if ((m = RE.kvTokens.exec(line))) {
    out.kvCacheTokens = max(out.kvCacheTokens, num(m[1]))
  } else if ((m = RE.concurrency.exec(line))) {
    out.maxConcurrency = { tokensPerRequest: num(m[1]), times: Number(m[2]) }
  } else if ((m = RE.graphsMeasured.exec(line))) {
    graphs(out, gib(m[2]), 'measured')
    s.graphs = max(s.graphs, Number(m[1]))
  } else if ((m = RE.graphPool.exec(line))) {
    graphs(out, gib(m[1]), 'measured')
    out.graphsInBudget = true
  } else if ((m = RE.graphsEstimated.exec(line))) {
    graphs(out, gib(m[1]), 'estimated')
    out.graphsInBudget = true
  } else if (RE.graphsInBudget.test(line)) {
    out.graphsInBudget = true
  } else if ((m = RE.initEngine.exec(line))) {
    s.engine = max(s.engine, Number(m[1]))
  }
  return out
}

/** A whole log (text or lines) → its footprint. */
export function parseFootprint(log: string | readonly string[]): Footprint {
  const lines = typeof log === 'string' ? log.split(/\r?\n/) : log
  return lines.reduce(applyFootprintLine, emptyFootprint())
}

/** True once the lines a planner cannot do without are in: the weights and the KV cache vLLM got. */
export function isComplete(fp: Footprint): boolean {
  return fp.weightsBytes !== null && fp.kvCacheBytes !== null && fp.kvCacheTokens !== null
}

/**
 * The fixed (non-KV) need per GPU of this start: everything vLLM holds besides the KV cache.
 * With the DEBUG breakdown it is the sum; from INFO lines alone it follows from the budget vLLM sized the KV cache
 * in (vllm-facts §3: KV = requested − non-KV), given `requestedBytes` = ceil(total × utilization) of this start.
 * Graphs outside the fraction (≤ v0.20, or on the --kv-cache-memory-bytes path) are added. Null when unknown.
 */
export function fixedNeedBytes(fp: Footprint, o: { requestedBytes?: number } = {}): number | null {
  const graphs = fp.cudaGraphBytes ?? 0
  const graphsOutside = fp.graphsInBudget !== true || fp.kvCacheSource === 'specified'
  if (fp.weightsBytes !== null && fp.activationPeakBytes !== null && fp.nonTorchBytes !== null)
    return fp.weightsBytes + fp.activationPeakBytes + fp.nonTorchBytes + graphs
  if (o.requestedBytes !== undefined && fp.kvCacheSource === 'profiled' && fp.kvCacheBytes !== null)
    return o.requestedBytes - fp.kvCacheBytes + (graphsOutside ? graphs : 0)
  return null
}

/** KV cache bytes per token this start got (bytes / tokens), or null. */
export function kvBytesPerToken(fp: Footprint): number | null {
  if (fp.kvCacheBytes === null || !fp.kvCacheTokens) return null
  return fp.kvCacheBytes / fp.kvCacheTokens
}

/** The sleep-mode lines of a log (§1.7) → freed/kept memory and timings; the last sleep/wake wins. */
export function parseSleepFacts(log: string | readonly string[]): SleepFacts {
  const lines = typeof log === 'string' ? log.split(/\r?\n/) : log
  const f: SleepFacts = { freedBytes: null, stillInUseBytes: null, backedUpBytes: null, fallAsleepSeconds: null, wakeSeconds: null }
  for (const line of lines) {
    let m: RegExpExecArray | null
    if ((m = RE.sleepFreed.exec(line))) {
      f.freedBytes = gib(m[1])
      f.stillInUseBytes = gib(m[2])
    } else if ((m = RE.cumem.exec(line))) f.backedUpBytes = gib(m[2])
    else if ((m = RE.asleep.exec(line))) f.fallAsleepSeconds = Number(m[1])
    else if ((m = RE.wake.exec(line))) f.wakeSeconds = Number(m[1])
  }
  return f
}
