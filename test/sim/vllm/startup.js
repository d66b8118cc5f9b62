// @ts-check
/**
 * The startup phases of the simulated engine, with vLLM's log lines (vllm-facts §2 table) and checks
 * (§3 memory), on a timeline that takes ≈3 s at INFERADMIN_SIM_SPEED=1 (real: tens of seconds to minutes;
 * relative order and proportions kept: weights and torch.compile dominate, then graph capture).
 * INFERADMIN_SIM_HANG_AT=<phase> stops at a phase; INFERADMIN_SIM_CRASH_AT=<phase> dies there (CUDA OOM).
 */
import { GiB, gib, planMemory, pyFloat, requestMemory, thousands, MemoryError } from './memory.js'
import { allocate, memGetInfo } from './gpu.js'
import { SimExit, engineStartupFailure } from './failures.js'

/** @typedef {import('./versions.js').VersionInfo} VersionInfo */
/** @typedef {import('./model.js').ModelInfo} ModelInfo */

export const PHASES = /** @type {const} */ (['device', 'weights', 'compile', 'kv', 'graphs', 'engine', 'server', 'running'])

/**
 * @typedef {object} StartupCtx
 * @property {VersionInfo} v
 * @property {Record<string, any>} args
 * @property {ReturnType<typeof import('./log.js').createLoggers>} logs
 * @property {ModelInfo} model
 * @property {import('./gpu.js').Cuda} cuda
 * @property {{speed: number, hangAt: string | null, crashAt: string | null}} sim
 * @property {number} maxModelLen
 * @property {boolean} maxModelLenAuto
 */

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** @param {string} dtype @param {string} kvDtype */
function dtypeBytes(dtype, kvDtype) {
  const model = 2 // bf16/fp16; vLLM serves fp32 checkpoints in 16-bit by default ("auto")
  void dtype
  if (kvDtype.startsWith('fp8')) return { model, kv: 1 }
  return { model, kv: kvDtype === 'float32' ? 4 : model }
}

/**
 * @typedef {ReturnType<typeof allocate>} Alloc
 */

/**
 * @param {StartupCtx} c
 * @param {{alloc: Alloc | null}} holder receives the GPU allocation as soon as it exists (released on failure)
 */
export async function startEngine(c, holder) {
  try {
    return await startEngineInner(c, holder)
  } catch (e) {
    holder.alloc?.release()
    throw e
  }
}

/**
 * @param {StartupCtx} c
 * @param {{alloc: Alloc | null}} holder
 */
async function startEngineInner(c, holder) {
  const { v, args, logs, model, cuda } = c
  const t0 = Date.now()
  const engineName = v.procPrefix?.engine ?? 'EngineCore_DP0'
  const tp = Number(args.tensor_parallel_size ?? 1)
  /** @param {string} name @param {number} seconds */
  const phase = async (name, seconds) => {
    await sleep((seconds * 1000) / c.sim.speed)
    if (c.sim.hangAt === name) await new Promise(() => {})
    if (c.sim.crashAt === name) {
      const free = memGetInfo(cuda, 0)
      throw engineStartupFailure(
        logs,
        engineName,
        'torch.OutOfMemoryError',
        `CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of ${gib(free.totalBytes)} GiB of which ${gib(free.freeBytes)} GiB is free. ` +
          'Including non-PyTorch memory, this process has 1.02 GiB memory in use. Of the allocated memory 0.53 GiB is allocated by PyTorch, and 0.07 GiB is reserved by PyTorch but unallocated.',
        { file: 'v1/worker/gpu_model_runner.py', fn: '_dummy_run', code: 'hidden_states = self.model(' },
      )
    }
  }
  /** @param {string} pyType @param {string} message @param {{file: string, fn: string, code: string}} frame */
  const fail = (pyType, message, frame) => engineStartupFailure(logs, engineName, pyType, message, frame)

  logs.engine.info(
    'core.py:93',
    `Initializing a V1 LLM engine (v${v.version}) with config: model='${model.name}', speculative_config=None, tokenizer='${model.name}', ` +
      `skip_tokenizer_init=False, tokenizer_mode=auto, revision=${args.revision ?? 'None'}, trust_remote_code=${args.trust_remote_code ? 'True' : 'False'}, ` +
      `dtype=torch.${model.dtype === 'float32' ? 'bfloat16' : model.dtype}, max_seq_len=${c.maxModelLen}, download_dir=${args.download_dir ?? 'None'}, load_format=auto, ` +
      `tensor_parallel_size=${tp}, pipeline_parallel_size=1, quantization=${args.quantization ?? 'None'}, enforce_eager=${args.enforce_eager ? 'True' : 'False'}, ` +
      `kv_cache_dtype=${args.kv_cache_dtype ?? 'auto'}, device_config=cuda, seed=${args.seed ?? 'None'}, served_model_name=${args.served_model_name?.[0] ?? model.name}`,
  )

  // init_device: the per-worker free-memory check (vllm-facts §3).
  await phase('device', 0.1)
  if (tp > cuda.devices.length) {
    throw fail('AssertionError', `please set tensor_parallel_size (${tp}) to less than max local gpu count (${cuda.devices.length})`, {
      file: 'v1/executor/multiproc_executor.py',
      fn: '_init_executor',
      code: 'assert self.world_size <= cuda_device_count_stateless(), (',
    })
  }
  const util = Number(args.gpu_memory_utilization)
  let requestedBytes = 0
  try {
    for (let d = 0; d < tp; d++) {
      const m = memGetInfo(cuda, d)
      requestedBytes = requestMemory({ device: d, totalBytes: m.totalBytes, freeBytes: m.freeBytes, utilization: util })
    }
  } catch (e) {
    if (e instanceof MemoryError)
      throw fail(e.pyType, e.message, { file: 'v1/worker/utils.py', fn: 'request_memory', code: 'raise ValueError(' })
    throw e
  }
  const alloc = allocate(cuda, tp, v.version === '0.10.0' ? 'python3' : 'VLLM::EngineCore')
  holder.alloc = alloc
  const nonTorch = 0.32 * GiB
  alloc.hold(nonTorch)
  logs.engine.info('cuda.py:366', 'Using Flash Attention backend on V1 engine.')

  // Weights.
  await phase('weights', 0.05)
  logs.engine.info('gpu_model_runner.py:2602', `Starting to load model ${model.name}...`)
  const tLoad = Date.now()
  await phase('weights', 0.5 + Math.min(0.6, (model.weightBytes / GiB) * 0.04))
  const loadS = (Date.now() - tLoad) / 1000
  logs.engine.info('default_loader.py:267', `Loading weights took ${loadS.toFixed(2)} seconds`)
  const weightsPerGpu = model.weightBytes / tp
  const w = weightsPerGpu / GiB
  const took =
    v.modelLoading === 'and'
      ? `${w.toFixed(4)} GiB and`
      : v.modelLoading === 'memory4'
        ? `${w.toFixed(4)} GiB memory and`
        : `${w.toFixed(2)} GiB memory and`
  logs.engine.info('gpu_model_runner.py:2634', `Model loading took ${took} ${((Date.now() - tLoad) / 1000).toFixed(6)} seconds`)
  alloc.hold(nonTorch + weightsPerGpu)

  // torch.compile.
  const eager = !!args.enforce_eager
  if (!eager) {
    const tc = Date.now()
    logs.engine.info(
      'backends.py:548',
      `Using cache directory: /root/.cache/vllm/torch_compile_cache/${model.commit?.slice(0, 10) ?? '0000000000'}/rank_0_0/backbone for vLLM's torch.compile`,
    )
    await phase('compile', 0.45)
    logs.engine.info('backends.py:559', `Dynamo bytecode transform time: ${((Date.now() - tc) / 1000).toFixed(2)} s`)
    await phase('compile', 0.35)
    logs.engine.info('monitor.py:34', `torch.compile takes ${((Date.now() - tc) / 1000).toFixed(2)} s in total`)
  }

  // Memory profile and KV cache (vllm-facts §3).
  await phase('kv', 0.25)
  const kvDtype = String(args.kv_cache_dtype ?? 'auto')
  const bytes = dtypeBytes(model.dtype, kvDtype)
  let plan
  try {
    plan = planMemory({
      requestedBytes,
      weightBytes: model.weightBytes,
      hiddenSize: model.hiddenSize,
      dtypeBytes: bytes.model,
      numLayers: model.numLayers,
      numKvHeads: model.numKvHeads,
      headDim: model.headDim,
      tp,
      kvDtypeBytes: bytes.kv,
      maxModelLen: c.maxModelLen,
      maxModelLenAuto: c.maxModelLenAuto,
      maxNumBatchedTokens: Number(args.max_num_batched_tokens ?? 2048),
      enforceEager: eager,
      graphsInBudget: v.graphsInBudget,
      kvCacheMemoryBytes: args.kv_cache_memory_bytes ?? null,
    })
  } catch (e) {
    if (!(e instanceof MemoryError)) throw e
    const budget = requestedBytes - weightsPerGpu - 0.5 * GiB
    if (e.message.startsWith('To serve'))
      logs.engine.info('gpu_worker.py:298', `Available KV cache memory: ${gib(Math.max(0, budget))} GiB`)
    throw fail(e.pyType, e.message, { file: 'v1/core/kv_cache_utils.py', fn: 'check_enough_kv_cache_memory', code: 'raise ValueError(' })
  }
  if (v.graphsInBudget && !eager) {
    const eq = util - plan.graphBytes / (requestedBytes / util)
    logs.engine.info(
      'gpu_worker.py:318',
      `CUDA graph memory profiling is enabled (default since v0.21.0). The current --gpu-memory-utilization=${util.toFixed(4)} ` +
        `is equivalent to --gpu-memory-utilization=${eq.toFixed(4)} without CUDA graph memory profiling. To keep the same KV cache size as before, ` +
        `increase --gpu-memory-utilization to ${(util + (util - eq)).toFixed(4)}.`,
    )
  }
  logs.engine.info('gpu_worker.py:298', `Available KV cache memory: ${gib(plan.kvBytes)} GiB`)
  logs.engine.info('kv_cache_utils.py:1087', `GPU KV cache size: ${thousands(plan.kvTokens)} tokens`)
  logs.engine.info(
    'kv_cache_utils.py:1091',
    `Maximum concurrency for ${thousands(plan.maxModelLen)} tokens per request: ${plan.maxConcurrency.toFixed(2)}x`,
  )
  alloc.hold(plan.allocatedBytes - (v.graphsInBudget ? 0 : plan.graphBytes))

  // CUDA graphs.
  if (!eager) {
    const tg = Date.now()
    await phase('graphs', 0.5)
    if (v.graphsInBudget)
      logs.engine.info(
        'gpu_model_runner.py:4371',
        `CUDA graph pool memory: ${gib(plan.graphBytes * 0.93)} GiB (actual), ${gib(plan.graphBytes)} GiB (estimated)`,
      )
    logs.engine.info(
      'gpu_model_runner.py:3480',
      `Graph capturing finished in ${Math.max(1, Math.round((Date.now() - tg) / 1000))} secs, took ${gib(plan.graphBytes)} GiB`,
    )
  } else {
    logs.engine.info('__init__.py:3575', 'Cudagraph is disabled under eager mode')
  }
  alloc.hold(plan.allocatedBytes)
  await phase('engine', 0.1)
  const initS = ((Date.now() - t0) / 1000).toFixed(2)
  logs.engine.info('core.py:210', `init engine (profile, create kv cache, warmup model) took ${initS} ${v.initEngineUnit}`)
  return { plan, alloc, requestedBytes, pyUtil: pyFloat(util) }
}

export { SimExit }
