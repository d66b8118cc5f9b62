import { describe, expect, it } from 'vitest'
import { diagnose, phaseOf } from './log-analysis'

const ctx = { args: {}, extraArgs: '' }

describe('load phases from vLLM log lines (vllm-facts §2, all versions)', () => {
  it.each([
    ['(EngineCore_DP0 pid=1) INFO 11-24 11:56:13 [gpu_model_runner.py:2602] Starting to load model Qwen/Qwen3-0.6B...', 'weights'],
    ['INFO 07-23 10:00:00 [gpu_model_runner.py:1892] Model loading took 1.1201 GiB and 0.512345 seconds', 'weights'],
    ['INFO 01-01 00:00:00 model_runner.py:1041] Loading model weights took 14.9888 GB', 'weights'],
    ['(EngineCore pid=1) INFO 11-24 11:56:14 [backends.py:559] Dynamo bytecode transform time: 0.09 s', 'kv-cache'],
    ['INFO [gpu_worker.py:298] Available KV cache memory: 11.16 GiB', 'kv-cache'],
    ['INFO [kv_cache_utils.py:1087] GPU KV cache size: 104,480 tokens', 'kv-cache'],
    ['INFO executor_base.py:110] # GPU blocks: 27895, # CPU blocks: 2048', 'kv-cache'],
    ['INFO [gpu_model_runner.py:3480] Graph capturing finished in 12 secs, took 0.51 GiB', 'graph-capture'],
    ['INFO [core.py:210] init engine (profile, create kv cache, warmup model) took 35.12 seconds', 'server-start'],
    ['INFO [api_server.py:1912] Starting vLLM API server 0 on http://0.0.0.0:8000', 'server-start'],
    ['(APIServer pid=1) INFO:     Application startup complete.', 'server-start'],
  ])('%s → %s', (line, phase) => {
    expect(phaseOf(line)).toBe(phase)
  })

  it('ignores lines that announce nothing (including the old version banner)', () => {
    expect(phaseOf('INFO 07-23 10:00:00 [api_server.py:1805] vLLM API server version 0.10.0')).toBeNull()
    expect(phaseOf("INFO [utils.py:233] non-default args: {'model': 'x'}")).toBeNull()
  })
})

describe('failure diagnosis', () => {
  it('GPU memory utilization above free memory → a fraction that fits, from the message', () => {
    const d = diagnose(
      [
        '(EngineCore pid=1) ValueError: Free memory on device cuda:0 (20.67/23.60 GiB) on startup is less than desired GPU memory utilization (0.95, 22.42 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.',
      ],
      1,
      ctx,
    )
    expect(d.kind).toBe('gpu-memory-utilization')
    expect(d.fix?.setArgs).toEqual({ '--gpu-memory-utilization': 0.82 })
    expect(d.lines[0]).toMatch(/^ValueError: Free memory/)
  })

  it('KV cache too small → --max-model-len set to vLLM’s estimate', () => {
    const d = diagnose(
      [
        "ValueError: To serve at least one request with the models's max seq len (131072), (16.00 GiB KV cache is needed, which is larger than the available KV cache memory (3.52 GiB). Based on the available memory, the estimated maximum model length is 28784. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.",
      ],
      1,
      ctx,
    )
    expect(d.kind).toBe('kv-cache-too-small')
    expect(d.fix?.setArgs).toEqual({ '--max-model-len': 28784 })
  })

  it('unrecognized arguments → remove them from the form and the extra args', () => {
    const d = diagnose(['vllm serve: error: unrecognized arguments: --swap-space 4 --bogus'], 2, {
      args: { '--bogus': true },
      extraArgs: '--swap-space 4 --max-num-seqs 8',
    })
    expect(d.kind).toBe('unrecognized-arguments')
    expect(d.fix).toEqual({ label: 'Remove --swap-space --bogus', setArgs: { '--bogus': null }, removeExtra: ['--swap-space', '4'] })
  })

  it('max-model-len beyond the model → the derived maximum as the fix', () => {
    const d = diagnose(
      [
        '(APIServer pid=1) pydantic_core._pydantic_core.ValidationError: 1 validation error for ModelConfig',
        "(APIServer pid=1)   Value error, User-specified max_model_len (10000000) is greater than the derived max_model_len (max_position_embeddings=40960 or model_max_length=None in model's config.json).",
      ],
      1,
      ctx,
    )
    expect(d).toMatchObject({ kind: 'invalid-argument', fix: { setArgs: { '--max-model-len': 40960 } } })
    expect(d.reason).toMatch(/10000000 is longer than the model supports \(40960 tokens\)/)
  })

  it('other pydantic validation errors name the config and the message', () => {
    const d = diagnose(
      [
        'pydantic_core._pydantic_core.ValidationError: 1 validation error for CacheConfig',
        'gpu_memory_utilization',
        '  Input should be less than or equal to 1 [type=less_than_equal]',
      ],
      1,
      ctx,
    )
    expect(d.kind).toBe('invalid-argument')
    expect(d.reason).toMatch(/CacheConfig settings: gpu_memory_utilization/)
  })

  it.each([
    ['torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB', 'cuda-oom'],
    [
      'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
      'no-kv-cache-memory',
    ],
    [
      'huggingface_hub.errors.GatedRepoError: 401 Client Error. Cannot access gated repo for url https://huggingface.co/meta-llama/x',
      'gated-model',
    ],
    [
      'huggingface_hub.errors.LocalEntryNotFoundError: An error happened while trying to locate the file on the Hub and we cannot find the requested files in the local cache.',
      'model-missing-offline',
    ],
    ["vllm serve: error: argument --dtype: invalid choice: 'fp7' (choose from auto, half)", 'invalid-argument'],
    ['AssertionError: please set tensor_parallel_size (2) to less than max local gpu count (1)', 'tensor-parallel'],
  ])('%s → %s', (line, kind) => {
    expect(diagnose([line], 1, ctx).kind).toBe(kind)
  })

  it('an exit without a message says so and keeps the last lines', () => {
    const d = diagnose(['INFO starting', 'INFO loading'], 137, ctx)
    expect(d.kind).toBe('exited')
    expect(d.reason).toMatch(/killed/)
    expect(d.lines).toEqual(['INFO starting', 'INFO loading'])
  })
})
