/**
 * A footprint before anything is learned (issue #16 point 2; pure): weights per GPU from the safetensors headers
 * (or file sizes), KV bytes per token from config.json (vllm-facts §3: `2 × layers × KV heads × head dim × dtype
 * bytes`, KV heads divided by TP when ≥ TP; MLA: `kv_lora_rank + qk_rope_head_dim` per layer, no factor 2 nor TP
 * division), plus a margin. Activation, non-torch and CUDA-graph sizes have no formula in the references: they are
 * rough, deliberately generous guesses that the first (discovery) load replaces with vLLM's own numbers.
 */
import { GiB } from './footprint-lines'

const MiB = 1024 ** 2

/** Bytes per element of each safetensors dtype (F4/F6 packed). */
export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
  F6_E2M3: 0.75,
  F6_E3M2: 0.75,
  F4: 0.5,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64'])

export interface TensorInfo {
  dtype: string
  shape: readonly number[]
  data_offsets?: readonly [number, number]
}

/** One file's header as JSON (`__metadata__` is skipped). */
export type SafetensorsHeader = Readonly<Record<string, TensorInfo | Readonly<Record<string, string>>>>

/** Bytes per element of a served `--dtype` (`auto` → null: keep the checkpoint's, but fp32 becomes 2 bytes). */
export function servedDtypeBytes(dtype: string | undefined): number | null {
  const d = (dtype ?? 'auto').toLowerCase()
  if (d === 'auto') return null
  if (['float32', 'float'].includes(d)) return 4
  if (['float16', 'half', 'bfloat16'].includes(d)) return 2
  throw new Error(`Unknown --dtype "${dtype}": use auto, bfloat16, float16 (half) or float32 (float)`)
}

/**
 * Total weight bytes of a checkpoint: each file given as its size in bytes or its parsed header. With headers, float
 * tensors are counted at the served dtype (vLLM `auto` serves an fp32 checkpoint in 16 bits); quantized ones as stored.
 */
export function checkpointBytes(files: ReadonlyArray<number | SafetensorsHeader>, o: { dtype?: string } = {}): number {
  const served = servedDtypeBytes(o.dtype)
  let total = 0
  for (const f of files) {
    if (typeof f === 'number') {
      if (!(f >= 0)) throw new Error(`checkpointBytes: a file size must be ≥ 0 bytes, got ${f}`)
      total += f
      continue
    }
    for (const [name, t] of Object.entries(f)) {
      if (name === '__metadata__') continue
      const info = t as TensorInfo
      const per = SAFETENSORS_DTYPE_BYTES[info.dtype]
      if (per === undefined || !Array.isArray(info.shape))
        throw new Error(
          `checkpointBytes: tensor "${name}" has dtype "${info.dtype}" this estimate does not know; pass the file sizes instead`,
        )
      const elements = info.shape.reduce((a, b) => a * b, 1)
      const stored = info.data_offsets ? info.data_offsets[1] - info.data_offsets[0] : Math.ceil(elements * per)
      const target = FLOAT_DTYPES.has(info.dtype) ? (served ?? (info.dtype === 'F32' || info.dtype === 'F64' ? 2 : per)) : per
      total += target === per ? stored : Math.ceil(elements * target)
    }
  }
  return total
}

/** Weights per GPU: spread over tensor × pipeline ranks (vllm-facts §3: params × bytes / TP). */
export function weightsPerGpuBytes(totalBytes: number, o: { tp?: number; pp?: number } = {}): number {
  const ranks = (o.tp ?? 1) * (o.pp ?? 1)
  if (!(Number.isInteger(ranks) && ranks >= 1)) throw new Error(`weightsPerGpuBytes: tp and pp must be whole numbers ≥ 1`)
  return Math.ceil(totalBytes / ranks)
}

type Config = Readonly<Record<string, unknown>>

/** The text model's part of a config.json (multimodal configs nest it). */
function textConfig(config: Config): Config {
  for (const k of ['text_config', 'llm_config', 'language_config']) {
    const c = config[k]
    if (c && typeof c === 'object' && 'num_hidden_layers' in c) return c as Config
  }
  return config
}

const int = (c: Config, key: string): number | null => (typeof c[key] === 'number' ? (c[key] as number) : null)

/** vLLM `auto` serves fp16 for fp32 and fp16 checkpoints and bf16 for bf16 ones: 2 bytes whatever config.json says. */
function modelDtypeBytes(dtype: string | undefined): number {
  return servedDtypeBytes(dtype) ?? 2
}

function kvDtypeBytes(kvCacheDtype: string | undefined, model: number): number {
  const k = (kvCacheDtype ?? 'auto').toLowerCase()
  if (k === 'auto') return model
  if (k.startsWith('fp8')) return 1
  if (k === 'bfloat16' || k === 'float16' || k === 'half') return 2
  if (k === 'float32') return 4
  throw new Error(`Unknown --kv-cache-dtype "${kvCacheDtype}": use auto or an fp8 variant (fp8, fp8_e4m3, fp8_e5m2)`)
}

/** KV cache bytes per token per GPU from config.json (see the header). */
export function kvBytesPerTokenFromConfig(
  config: Config,
  o: { dtype?: string; kvCacheDtype?: string; tp?: number; pp?: number } = {},
): number {
  const c = textConfig(config)
  const layers = int(c, 'num_hidden_layers')
  if (!layers) throw new Error('config.json has no num_hidden_layers: cannot estimate the KV cache; start once to learn it')
  const perGpuLayers = Math.ceil(layers / (o.pp ?? 1))
  const bytes = kvDtypeBytes(o.kvCacheDtype, modelDtypeBytes(o.dtype))
  const loraRank = int(c, 'kv_lora_rank')
  if (loraRank !== null) {
    if ((o.kvCacheDtype ?? '').toLowerCase() === 'fp8_ds_mla') return perGpuLayers * 656
    return perGpuLayers * (loraRank + (int(c, 'qk_rope_head_dim') ?? 0)) * bytes
  }
  const heads = int(c, 'num_attention_heads')
  const kvHeads = int(c, 'num_key_value_heads') ?? heads
  const headDim = int(c, 'head_dim') ?? (heads && int(c, 'hidden_size') ? int(c, 'hidden_size')! / heads : null)
  if (!kvHeads || !headDim)
    throw new Error('config.json lacks num_key_value_heads/num_attention_heads or head_dim/hidden_size: cannot estimate the KV cache')
  const tp = o.tp ?? 1
  const headsPerGpu = kvHeads >= tp ? Math.ceil(kvHeads / tp) : 1
  return 2 * perGpuLayers * headsPerGpu * headDim * bytes
}

export interface EstimateInput {
  /** From checkpointBytes. */
  checkpointBytes: number
  config: Config
  tp?: number
  pp?: number
  dtype?: string
  kvCacheDtype?: string
  enforceEager?: boolean
  maxNumBatchedTokens?: number
  maxNumSeqs?: number
  /** Fraction added to the fixed need (default 0.15). */
  margin?: number
}

export interface Estimate {
  weightsBytes: number
  activationPeakBytes: number
  nonTorchBytes: number
  cudaGraphBytes: number
  /** (weights + activation + non-torch + graphs) × (1 + margin): the fixed need per GPU to plan with. */
  fixedBytes: number
  kvBytesPerToken: number
}

/** The first guess of a model's footprint per GPU (see the header: everything but weights and KV is heuristic). */
export function estimateFootprint(i: EstimateInput): Estimate {
  const c = textConfig(i.config)
  const tp = i.tp ?? 1
  const dtype = modelDtypeBytes(i.dtype)
  const hidden = int(c, 'hidden_size') ?? 4096
  const intermediate = int(c, 'intermediate_size') ?? hidden * 4
  const vocab = int(c, 'vocab_size') ?? 128_000
  const layers = int(c, 'num_hidden_layers') ?? 32
  const tokens = i.maxNumBatchedTokens ?? 8192
  const weightsBytes = weightsPerGpuBytes(i.checkpointBytes, { tp, pp: i.pp })
  // [heuristic] one layer's activations for a full batch plus the fp32 logits of every sequence.
  const activationPeakBytes = Math.ceil(tokens * (4 * hidden + (2 * intermediate) / tp) * dtype + (i.maxNumSeqs ?? 256) * vocab * 4)
  // [heuristic] CUDA context, cuBLAS and NCCL: gateway-facts §1.4 puts the context alone at ~0.3–0.6 GiB.
  const nonTorchBytes = Math.round(0.6 * GiB) + (tp > 1 ? 256 * MiB : 0)
  const cudaGraphBytes = i.enforceEager ? 0 : Math.max(256 * MiB, layers * 16 * MiB)
  const margin = i.margin ?? 0.15
  if (!(margin >= 0)) throw new Error(`estimateFootprint: margin must be ≥ 0, got ${margin}`)
  return {
    weightsBytes,
    activationPeakBytes,
    nonTorchBytes,
    cudaGraphBytes,
    fixedBytes: Math.ceil((weightsBytes + activationPeakBytes + nonTorchBytes + cudaGraphBytes) * (1 + margin)),
    kvBytesPerToken: kvBytesPerTokenFromConfig(i.config, { dtype: i.dtype, kvCacheDtype: i.kvCacheDtype, tp, pp: i.pp }),
  }
}
