import { describe, expect, it } from 'vitest'
import { checkpointBytes, estimateFootprint, kvBytesPerTokenFromConfig, weightsPerGpuBytes, type SafetensorsHeader } from './estimate'
import { GiB } from './footprint-lines'

/** Llama-3.1-8B's config.json (the fields the estimate reads). */
const llama8b = {
  architectures: ['LlamaForCausalLM'],
  hidden_size: 4096,
  intermediate_size: 14336,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  vocab_size: 128256,
  torch_dtype: 'bfloat16',
}

describe('kvBytesPerTokenFromConfig (vllm-facts §3)', () => {
  it('Llama-3.1-8B bf16 is 128 KiB per token; Qwen3-8B (36 layers, head_dim 128) is 147,456 B', () => {
    expect(kvBytesPerTokenFromConfig(llama8b)).toBe(131_072)
    const qwen3 = { hidden_size: 4096, num_attention_heads: 32, num_hidden_layers: 36, num_key_value_heads: 8, head_dim: 128 }
    expect(kvBytesPerTokenFromConfig(qwen3)).toBe(147_456)
  })

  it('fp8 KV halves it; TP divides the KV heads while they reach TP, then each GPU keeps one', () => {
    expect(kvBytesPerTokenFromConfig(llama8b, { kvCacheDtype: 'fp8' })).toBe(65_536)
    expect(kvBytesPerTokenFromConfig(llama8b, { tp: 2 })).toBe(65_536)
    expect(kvBytesPerTokenFromConfig(llama8b, { tp: 8 })).toBe(16_384)
    expect(kvBytesPerTokenFromConfig(llama8b, { tp: 16 })).toBe(16_384)
  })

  it('MLA (DeepSeek): kv_lora_rank + qk_rope_head_dim = 576 elements per layer, no factor 2, no TP division', () => {
    const ds = { num_hidden_layers: 61, kv_lora_rank: 512, qk_rope_head_dim: 64, num_attention_heads: 128, hidden_size: 7168 }
    expect(kvBytesPerTokenFromConfig(ds, { tp: 8 })).toBe(61 * 576 * 2)
    expect(kvBytesPerTokenFromConfig(ds, { kvCacheDtype: 'fp8_ds_mla' })).toBe(61 * 656)
  })

  it('reads a nested text_config and names what is missing', () => {
    expect(kvBytesPerTokenFromConfig({ architectures: ['X'], text_config: llama8b })).toBe(131_072)
    expect(() => kvBytesPerTokenFromConfig({ hidden_size: 1 })).toThrow('config.json has no num_hidden_layers')
    expect(() => kvBytesPerTokenFromConfig(llama8b, { kvCacheDtype: 'int3' })).toThrow('Unknown --kv-cache-dtype "int3"')
  })
})

describe('checkpointBytes and weightsPerGpuBytes', () => {
  const header: SafetensorsHeader = {
    __metadata__: { format: 'pt' },
    'model.embed_tokens.weight': { dtype: 'BF16', shape: [128256, 4096], data_offsets: [0, 128256 * 4096 * 2] },
    'model.layers.0.mlp.down_proj.qweight': { dtype: 'I32', shape: [1792, 4096] },
    'model.norm.weight': { dtype: 'F32', shape: [4096] },
  }

  it('sums tensors from headers: offsets when given, else elements × dtype; fp32 floats served in 16 bits under auto', () => {
    expect(checkpointBytes([header])).toBe(128256 * 4096 * 2 + 1792 * 4096 * 4 + 4096 * 2)
    expect(checkpointBytes([header], { dtype: 'float32' })).toBe(128256 * 4096 * 4 + 1792 * 4096 * 4 + 4096 * 4)
    expect(checkpointBytes([5 * GiB, header])).toBe(5 * GiB + checkpointBytes([header]))
  })

  it('spreads weights over TP × PP ranks (Llama-3.1-8B bf16 ≈ 14.96 GiB, vllm-facts §3)', () => {
    const total = 8_030_261_248 * 2
    expect(weightsPerGpuBytes(total) / GiB).toBeCloseTo(14.96, 2)
    expect(weightsPerGpuBytes(total, { tp: 2 })).toBe(total / 2)
    expect(() => weightsPerGpuBytes(total, { tp: 0 })).toThrow('tp and pp must be whole numbers ≥ 1')
  })

  it('names a tensor it cannot size and an unknown --dtype', () => {
    expect(() => checkpointBytes([{ w: { dtype: 'Q9', shape: [1] } }])).toThrow('tensor "w" has dtype "Q9"')
    expect(() => checkpointBytes([header], { dtype: 'int8' })).toThrow('Unknown --dtype "int8"')
  })
})

describe('estimateFootprint', () => {
  const total = 8_030_261_248 * 2

  it('puts a margin over weights + the generous guesses, and keeps weights and KV exact', () => {
    const e = estimateFootprint({ checkpointBytes: total, config: llama8b })
    expect(e.weightsBytes).toBe(total)
    expect(e.kvBytesPerToken).toBe(131_072)
    const sum = e.weightsBytes + e.activationPeakBytes + e.nonTorchBytes + e.cudaGraphBytes
    expect(e.fixedBytes).toBe(Math.ceil(sum * 1.15))
    // More than the weights by at least a GiB, less than twice them: a usable first guess.
    expect(e.fixedBytes).toBeGreaterThan(total + GiB)
    expect(e.fixedBytes).toBeLessThan(2 * total)
  })

  it('needs less with --enforce-eager (no graph pool) and per GPU with TP', () => {
    const base = estimateFootprint({ checkpointBytes: total, config: llama8b })
    expect(estimateFootprint({ checkpointBytes: total, config: llama8b, enforceEager: true }).cudaGraphBytes).toBe(0)
    const tp2 = estimateFootprint({ checkpointBytes: total, config: llama8b, tp: 2 })
    expect(tp2.weightsBytes).toBe(total / 2)
    expect(tp2.fixedBytes).toBeLessThan(base.fixedBytes)
    expect(() => estimateFootprint({ checkpointBytes: total, config: llama8b, margin: -1 })).toThrow('margin must be ≥ 0')
  })
})
