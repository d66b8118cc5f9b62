// @ts-check
/**
 * Engine statistics and their Prometheus exposition with vLLM's metric names and labels
 * (vllm-facts §2 "/metrics": gauges, counters with `_total`, histograms with `_bucket/_sum/_count`,
 * labels model_name and engine; `vllm:gpu_cache_usage_perc` only up to v0.11 behind
 * --show-hidden-metrics-for-version).
 */

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560]
const TOKEN_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]

class Histogram {
  /** @param {number[]} buckets */
  constructor(buckets) {
    this.buckets = buckets
    this.counts = buckets.map(() => 0)
    this.sum = 0
    this.count = 0
  }
  /** @param {number} v */
  observe(v) {
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i] = (this.counts[i] ?? 0) + 1
    })
    this.sum += v
    this.count++
  }
}

export class Stats {
  constructor() {
    this.running = 0
    this.waiting = 0
    this.promptTokens = 0
    this.generationTokens = 0
    /** @type {Record<string, number>} */
    this.success = { stop: 0, length: 0, abort: 0 }
    this.ttft = new Histogram(LATENCY_BUCKETS)
    this.itl = new Histogram(LATENCY_BUCKETS)
    this.e2e = new Histogram(LATENCY_BUCKETS)
    this.queue = new Histogram(LATENCY_BUCKETS)
    this.promptHist = new Histogram(TOKEN_BUCKETS)
    this.genHist = new Histogram(TOKEN_BUCKETS)
    /** tokens currently held in the KV cache by running requests */
    this.kvTokensInUse = 0
    // for the periodic "Avg prompt throughput" log line
    this.lastLogAt = Date.now()
    this.lastPrompt = 0
    this.lastGen = 0
  }
}

/**
 * @param {Stats} s
 * @param {{model: string, kvTokens: number, blockSize: number, gpuMemoryUtilization: number, numGpuBlocks: number, oldNames: boolean}} o
 */
export function exposition(s, o) {
  const L = `engine="0",model_name="${o.model}"`
  /** @type {string[]} */
  const out = []
  /** @param {string} name @param {string} type @param {string} help */
  const head = (name, type, help) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
  /** @param {string} name @param {string} help @param {number} v @param {string} [extra] */
  const gauge = (name, help, v, extra = '') => {
    head(name, 'gauge', help)
    out.push(`${name}{${L}${extra}} ${v}`)
  }
  /** @param {string} name @param {string} help @param {Histogram} h */
  const hist = (name, help, h) => {
    head(name, 'histogram', help)
    h.buckets.forEach((b, i) => out.push(`${name}_bucket{${L},le="${Number.isInteger(b) ? b.toFixed(1) : String(b)}"} ${h.counts[i]}`))
    out.push(`${name}_bucket{${L},le="+Inf"} ${h.count}`, `${name}_count{${L}} ${h.count}`, `${name}_sum{${L}} ${h.sum}`)
  }
  const usage = o.kvTokens > 0 ? Math.min(1, s.kvTokensInUse / o.kvTokens) : 0
  head('vllm:cache_config_info', 'gauge', 'Information of the LLMEngine CacheConfig')
  out.push(
    `vllm:cache_config_info{block_size="${o.blockSize}",cache_dtype="auto",engine="0",gpu_memory_utilization="${o.gpuMemoryUtilization}",num_gpu_blocks="${o.numGpuBlocks}"} 1.0`,
  )
  gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', s.running)
  gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', s.waiting)
  gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', usage)
  if (o.oldNames) gauge('vllm:gpu_cache_usage_perc', 'GPU KV-cache usage. 1 means 100 percent usage.', usage)
  head('vllm:num_preemptions_total', 'counter', 'Cumulative number of preemption from the engine.')
  out.push(`vllm:num_preemptions_total{${L}} 0.0`)
  head('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.')
  out.push(`vllm:prompt_tokens_total{${L}} ${s.promptTokens.toFixed(1)}`)
  head('vllm:generation_tokens_total', 'counter', 'Number of generation tokens processed.')
  out.push(`vllm:generation_tokens_total{${L}} ${s.generationTokens.toFixed(1)}`)
  head('vllm:request_success_total', 'counter', 'Count of successfully processed requests.')
  for (const [reason, n] of Object.entries(s.success))
    out.push(`vllm:request_success_total{${L},finished_reason="${reason}"} ${n.toFixed(1)}`)
  head('vllm:prefix_cache_queries_total', 'counter', 'Prefix cache queries, in terms of number of queried tokens.')
  out.push(`vllm:prefix_cache_queries_total{${L}} ${s.promptTokens.toFixed(1)}`)
  head('vllm:prefix_cache_hits_total', 'counter', 'Prefix cache hits, in terms of number of cached tokens.')
  out.push(`vllm:prefix_cache_hits_total{${L}} 0.0`)
  hist('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', s.ttft)
  hist('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', s.itl)
  hist('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', s.e2e)
  hist('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', s.queue)
  hist('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', s.promptHist)
  hist('vllm:request_generation_tokens', 'Number of generation tokens processed.', s.genHist)
  return out.join('\n') + '\n'
}

/**
 * The periodic stats line (loggers.py), e.g. `Engine 000: Avg prompt throughput: 12.3 tokens/s, …`.
 * @param {Stats} s
 * @param {number} kvTokens
 */
export function statsLine(s, kvTokens) {
  const now = Date.now()
  const dt = Math.max(0.001, (now - s.lastLogAt) / 1000)
  const p = (s.promptTokens - s.lastPrompt) / dt
  const g = (s.generationTokens - s.lastGen) / dt
  const idle = p === 0 && g === 0 && s.running === 0 && s.waiting === 0
  s.lastLogAt = now
  s.lastPrompt = s.promptTokens
  s.lastGen = s.generationTokens
  if (idle) return null
  const usage = kvTokens > 0 ? (100 * s.kvTokensInUse) / kvTokens : 0
  return (
    `Engine 000: Avg prompt throughput: ${p.toFixed(1)} tokens/s, Avg generation throughput: ${g.toFixed(1)} tokens/s, ` +
    `Running: ${s.running} reqs, Waiting: ${s.waiting} reqs, GPU KV cache usage: ${usage.toFixed(1)}%, Prefix cache hit rate: 0.0%`
  )
}
