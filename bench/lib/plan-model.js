// @ts-check
import { GiB, planMemory } from '../../test/sim/vllm/memory.js'

/**
 * The simulated vLLM's memory plan (test/sim/vllm/memory.js planMemory) for a checkpoint's shape as the benchmarks
 * describe it (w: weights GiB, hidden size, layers, KV heads, head dim): fp16 weights and KV cache, tensor parallel 1,
 * CUDA graphs in the budget, 2048 batched tokens, a fixed --max-model-len.
 * @param {{ w: number, hidden: number, layers: number, kv: number, dim: number }} m
 * @param {{ requestedBytes: number, maxModelLen: number, kvCacheMemoryBytes?: number | null }} o  kvCacheMemoryBytes:
 *   vLLM's --kv-cache-memory (null: the KV cache takes what the utilization leaves)
 */
export function planModel(m, o) {
  return planMemory({
    requestedBytes: o.requestedBytes,
    weightBytes: m.w * GiB,
    hiddenSize: m.hidden,
    dtypeBytes: 2,
    numLayers: m.layers,
    numKvHeads: m.kv,
    headDim: m.dim,
    tp: 1,
    kvDtypeBytes: 2,
    maxModelLen: o.maxModelLen,
    maxModelLenAuto: false,
    maxNumBatchedTokens: 2048,
    enforceEager: false,
    graphsInBudget: true,
    kvCacheMemoryBytes: o.kvCacheMemoryBytes ?? null,
  })
}
