// @ts-check
/**
 * vLLM's memory arithmetic (vllm-facts §3): requested = ceil(total × gpu_memory_utilization) per GPU,
 * the startup check against *currently free* memory, the KV budget = requested − (weights + peak
 * activation + non-torch memory [+ CUDA-graph estimate from v0.21]), KV tokens rounded to blocks of 16,
 * and the max-model-len check with vLLM's estimated maximum.
 */

export const GiB = 1024 ** 3
export const MiB = 1024 ** 2
const BLOCK = 16

/** @param {number} bytes */
export const gib = (bytes) => (bytes / GiB).toFixed(2)

/** Python float formatting of a user-given fraction (0.5, 0.9, 1.0). */
/** @param {number} x */
export const pyFloat = (x) => (Number.isInteger(x) ? x.toFixed(1) : String(x))

export class MemoryError extends Error {
  /** @param {string} pyType @param {string} message */
  constructor(pyType, message) {
    super(message)
    this.pyType = pyType
  }
}

/**
 * The startup check of each worker (vllm/v1/worker/utils.py::request_memory).
 * @param {{device: number, totalBytes: number, freeBytes: number, utilization: number}} g
 * @returns {number} requested bytes
 */
export function requestMemory(g) {
  const requested = Math.ceil(g.totalBytes * g.utilization)
  if (g.freeBytes < requested) {
    throw new MemoryError(
      'ValueError',
      `Free memory on device cuda:${g.device} (${gib(g.freeBytes)}/${gib(g.totalBytes)} GiB) on startup is less than desired ` +
        `GPU memory utilization (${pyFloat(g.utilization)}, ${gib(requested)} GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.`,
    )
  }
  return requested
}

/**
 * @typedef {object} MemoryPlan
 * @property {number} requestedBytes
 * @property {number} weightBytes      per GPU
 * @property {number} activationBytes
 * @property {number} nonTorchBytes
 * @property {number} graphBytes
 * @property {number} kvBytes
 * @property {number} kvTokens
 * @property {number} bytesPerToken    per GPU
 * @property {number} maxModelLen
 * @property {number} maxConcurrency
 * @property {number} allocatedBytes   what the process holds on each GPU for its lifetime
 */

/**
 * KV budget after the memory profile (gpu_worker.determine_available_memory + kv_cache_utils checks).
 * @param {{requestedBytes: number, weightBytes: number, hiddenSize: number, dtypeBytes: number, numLayers: number,
 *   numKvHeads: number, headDim: number, tp: number, kvDtypeBytes: number, maxModelLen: number, maxModelLenAuto: boolean,
 *   maxNumBatchedTokens: number, enforceEager: boolean, graphsInBudget: boolean, kvCacheMemoryBytes: number | null}} p
 * @returns {MemoryPlan}
 */
export function planMemory(p) {
  const weightBytes = Math.ceil(p.weightBytes / p.tp)
  // Peak of a dummy forward pass over max_num_batched_tokens, plus the CUDA context / cuBLAS / NCCL workspaces.
  const activationBytes = Math.round(0.18 * GiB + p.maxNumBatchedTokens * p.hiddenSize * p.dtypeBytes * 6)
  const nonTorchBytes = Math.round(0.32 * GiB)
  const graphBytes = p.enforceEager ? 0 : Math.round(0.06 * GiB + p.numLayers * 2 * MiB)
  const kvHeads = Math.max(1, Math.floor(p.numKvHeads / p.tp))
  const bytesPerToken = 2 * p.numLayers * kvHeads * p.headDim * p.kvDtypeBytes
  const budget =
    p.kvCacheMemoryBytes ?? p.requestedBytes - weightBytes - activationBytes - nonTorchBytes - (p.graphsInBudget ? graphBytes : 0)
  if (budget <= 0) {
    throw new MemoryError(
      'ValueError',
      'No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
    )
  }
  const kvTokens = Math.floor(budget / (bytesPerToken * BLOCK)) * BLOCK
  const estimatedMax = kvTokens
  let maxModelLen = p.maxModelLen
  if (p.maxModelLenAuto) maxModelLen = Math.min(p.maxModelLen, estimatedMax)
  const needed = Math.ceil(maxModelLen / BLOCK) * BLOCK * bytesPerToken
  if (needed > budget) {
    throw new MemoryError(
      'ValueError',
      `To serve at least one request with the model's max seq len (${maxModelLen}), (${gib(needed)} GiB KV cache is needed, ` +
        `which is larger than the available KV cache memory (${gib(budget)} GiB). Based on the available memory, ` +
        `the estimated maximum model length is ${estimatedMax}. Try increasing \`gpu_memory_utilization\` or decreasing ` +
        '`max_model_len` when initializing the engine.',
    )
  }
  const inBudget = weightBytes + activationBytes + nonTorchBytes + budget + (p.graphsInBudget ? graphBytes : 0)
  return {
    requestedBytes: p.requestedBytes,
    weightBytes,
    activationBytes,
    nonTorchBytes,
    graphBytes,
    kvBytes: budget,
    kvTokens,
    bytesPerToken,
    maxModelLen,
    maxConcurrency: kvTokens / maxModelLen,
    // ≤ v0.20 captures CUDA graphs outside the fraction, so real usage slightly exceeds it (vllm-facts §3).
    allocatedBytes: inBudget + (p.graphsInBudget ? 0 : graphBytes),
  }
}

/** "157,936" */
/** @param {number} n */
export const thousands = (n) => n.toLocaleString('en-US')
