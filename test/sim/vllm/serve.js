// @ts-check
/**
 * `vllm serve` (or `python3 -m vllm.entrypoints.openai.api_server` for ≤ v0.11.0) of one simulated version:
 * argument parsing and help, config checks, model resolution, the engine startup (startup.js), the HTTP
 * server opened only when ready (connection refused before, vllm-facts §2), periodic stats, graceful
 * SIGTERM/SIGINT shutdown with uvicorn's lines, and the crash/hang switches.
 */
import { writeFileSync } from 'node:fs'
import { ArgError, buildParser, nonDefaultArgs, parseArgs } from './argparse.js'
import { filteredHelp, fullHelp, pyRepr, PyFloat, usage } from './help.js'
import { createLoggers } from './log.js'
import { ModelError, resolveModel } from './model.js'
import { detectCuda } from './gpu.js'
import { SimExit, apiServerFailure, engineDeadLines } from './failures.js'
import { startEngine } from './startup.js'
import { createApiServer } from './server.js'
import { mountedRoutes, supportedTasks, taskNames } from './routes.js'
import { apiKeys } from './auth.js'
import { Stats, statsLine } from './metrics.js'
import { DEV_MODE_WARNING, createSleeper, hostFreeFrom } from './sleep.js'

/** Where the image's HEALTHCHECK finds the server once it listens. */
export const READY_FILE = '/tmp/inferadmin-sim-vllm.json'

/**
 * @typedef {object} ServeIo
 * @property {NodeJS.ProcessEnv} env
 * @property {(s: string) => void} out
 * @property {(s: string) => void} err
 * @property {string | null} [readyFile]
 * @property {'api_server' | 'serve'} [via]  how it was started (default: the image's entrypoint of that version)
 */

/** @param {string | undefined} v @param {number} d */
const num = (v, d) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : d)

/**
 * @param {import('./versions.js').VersionInfo} v
 * @param {string[]} argv arguments after `vllm serve`
 * @param {ServeIo} io
 * @returns {Promise<number>} exit code (resolves only when the server stops)
 */
export async function serve(v, argv, io) {
  const env = io.env
  const api = (io.via ?? v.entrypoint) === 'api_server'
  const spec = buildParser(v.snapshot, { prog: api ? 'api_server.py' : 'vllm serve', positionalModel: !api })
  const epilog = v.banner === 'logo' ? 'new' : 'old'

  // --help handling: `vllm serve` filters (--help=all|Group|flag|keyword); api_server.py is plain argparse.
  for (const a of argv) {
    const m = /^(?:-h|--help)(?:=(.*))?$/.exec(a)
    if (!m) continue
    if (api) {
      if (m[1] !== undefined) {
        io.err(`${usage(spec)}api_server.py: error: argument -h/--help: ignored explicit argument '${m[1]}'\n`)
        return 2
      }
      io.out(fullHelp(spec))
      return 0
    }
    const h = filteredHelp(spec, m[1] ?? null, epilog)
    io.out(h.text)
    return h.code
  }

  let parsed
  try {
    parsed = parseArgs(spec, argv)
  } catch (e) {
    if (!(e instanceof ArgError)) throw e
    io.err(`${usage(spec)}${spec.prog}: error: ${e.message}\n`)
    return 2
  }
  const args = /** @type {Record<string, any>} */ (parsed.args)
  const logs = createLoggers(v, { pid: process.pid, out: io.out, err: io.err })
  if (!api && parsed.given.has('model') && v.modelFlagWarning) {
    logs.bare.warning(
      'argparse_utils.py:257',
      'With `vllm serve`, you should provide the model as a positional argument or in a config file instead of via the `--model` option. The `--model` option will be removed in a future version.',
    )
  }
  for (const f of parsed.deprecatedUsed)
    logs.bare.warning('argparse_utils.py:264', `argument '${f}' is deprecated and will be removed in a future release.`)
  const modelName = String(args.model_tag ?? args.model)
  if (args.model_tag) args.model = args.model_tag

  if (v.banner === 'logo' && env.VLLM_DISABLE_LOG_LOGO !== '1') {
    logs.api.info(
      'utils.py:299',
      `\n       █     █     █▄   ▄█\n ▄▄ ▄█ █     █     █ ▀▄▀ █  version ${v.version}\n  █▄█▀ █     █     █     █  model   ${modelName}\n   ▀▀  ▀▀▀▀▀ ▀▀▀▀▀ ▀     ▀\n`,
    )
  } else if (v.banner === 'logo') {
    logs.api.info('utils.py:299', `vLLM server version ${v.version}, serving model ${modelName}`)
  } else {
    logs.api.info('api_server.py:1805', `vLLM API server version ${v.version}`)
  }
  const floats = new Set(spec.opts.filter((o) => o.type === 'float').map((o) => o.dest))
  const shown = nonDefaultArgs(spec, parsed).map(([k, x]) => [
    k,
    floats.has(k) && typeof x === 'number' ? new PyFloat(x) : k === 'api_key' ? ['[REDACTED]'] : x,
  ])
  logs.api.info('utils.py:233', `non-default args: ${pyRepr(Object.fromEntries(shown))}`)

  try {
    const util = Number(args.gpu_memory_utilization)
    if (!(util > 0 && util <= 1)) {
      const [kind, bound] = util > 1 ? ['less_than_equal', 'less than or equal to 1'] : ['greater_than', 'greater than 0']
      throw new ModelError(
        'pydantic_core._pydantic_core.ValidationError',
        `1 validation error for CacheConfig\ngpu_memory_utilization\n  Input should be ${bound} [type=${kind}, input_value=${util}, input_type=float]`,
      )
    }
    const model = resolveModel({
      name: modelName,
      revision: args.revision ?? null,
      downloadDir: args.download_dir ?? null,
      env,
      loadFormat: args.load_format,
    })
    logs.api.info('model.py:547', `Resolved architecture: ${model.architecture}`)
    let maxLen = args.max_model_len === null || args.max_model_len === undefined ? model.derivedMaxLen : Number(args.max_model_len)
    const auto = maxLen === -1
    if (auto) maxLen = model.derivedMaxLen
    if (maxLen > model.derivedMaxLen && env.VLLM_ALLOW_LONG_MAX_MODEL_LEN !== '1') {
      throw new ModelError(
        'pydantic_core._pydantic_core.ValidationError',
        `1 validation error for ModelConfig\n  Value error, User-specified max_model_len (${maxLen}) is greater than the derived max_model_len ` +
          `(max_position_embeddings=${model.derivedMaxLen} or model_max_length=None in model's config.json). To allow overriding this maximum, ` +
          'set the env var VLLM_ALLOW_LONG_MAX_MODEL_LEN=1. VLLM_ALLOW_LONG_MAX_MODEL_LEN must be used with extreme caution. ' +
          'If the model uses relative position encoding (RoPE), positions exceeding derived_max_model_len lead to nan. ' +
          'If the model uses absolute position encoding, positions exceeding derived_max_model_len will cause a CUDA array out-of-bounds error.',
      )
    }
    logs.api.info('model.py:1510', `Using max model len ${maxLen}`)
    const tasks = supportedTasks({
      architecture: model.architecture,
      numLabels: model.labels.length,
      runner: args.runner,
      convert: args.convert,
      task: args.task,
    })
    logs.api.info('scheduler.py:205', `Chunked prefill is enabled with max_num_batched_tokens=${args.max_num_batched_tokens ?? 2048}.`)
    const cuda = detectCuda(env)
    if (!cuda || cuda.devices.length === 0) {
      throw new ModelError(
        'RuntimeError',
        'Failed to infer device type, please set the environment variable `VLLM_LOGGING_LEVEL=DEBUG` to turn on verbose logging to help debug the issue.',
      )
    }
    return await run(v, { args, logs, model, cuda, maxLen, auto, tasks, io })
  } catch (e) {
    if (e instanceof ModelError) return apiServerFailure(logs.api, e.pyType, e.message).code
    if (e instanceof SimExit) return e.code
    throw e
  }
}

/**
 * @param {import('./versions.js').VersionInfo} v
 * @param {{args: Record<string, any>, logs: ReturnType<typeof createLoggers>, model: import('./model.js').ModelInfo,
 *   cuda: import('./gpu.js').Cuda, maxLen: number, auto: boolean, tasks: import('./routes.js').Tasks, io: ServeIo}} c
 */
async function run(v, c) {
  const { args, logs, env } = { ...c, env: c.io.env }
  const sim = {
    speed: Math.max(0.01, num(env.INFERADMIN_SIM_SPEED, 1)),
    hangAt: env.INFERADMIN_SIM_HANG_AT || null,
    crashAt: env.INFERADMIN_SIM_CRASH_AT || null,
  }
  /** @type {null | ((code: number) => void)} */
  let finish = null
  const done = new Promise((/** @type {(code: number) => void} */ r) => {
    finish = r
  })
  /** @type {import('node:http').Server | null} */
  let server = null
  /** @type {{alloc: import('./startup.js').Alloc | null}} */
  const holder = { alloc: null }
  let stopping = false
  const stop = (/** @type {string} */ sig) => {
    if (stopping) return
    stopping = true
    if (server) {
      logs.api.info('launcher.py:99', 'Shutting down FastAPI HTTP server.')
      logs.api.uvicorn('Shutting down')
      logs.api.uvicorn('Waiting for application shutdown.')
      logs.api.uvicorn('Application shutdown complete.')
      server.close()
      server.closeAllConnections()
    } else logs.engine.info('core.py:837', `EngineCore exiting on ${sig}.`)
    holder.alloc?.release()
    finish?.(0)
  }
  const onSig = (/** @type {NodeJS.Signals} */ s) => stop(s)
  process.on('SIGTERM', onSig)
  process.on('SIGINT', onSig)
  try {
    const started = await Promise.race([
      startEngine({ v, args, logs, model: c.model, cuda: c.cuda, sim, maxModelLen: c.maxLen, maxModelLenAuto: c.auto }, holder),
      done.then(() => null),
    ])
    if (!started) return await done
    const { plan } = started
    const stats = new Stats()
    let dead = false
    const servedNames = args.served_model_name?.length ? args.served_model_name : [c.model.name]
    const devMode = env.VLLM_SERVER_DEV_MODE !== undefined && env.VLLM_SERVER_DEV_MODE !== '' && Number(env.VLLM_SERVER_DEV_MODE) !== 0
    const routes = mountedRoutes(v, c.tasks, devMode)
    const tp = Number(args.tensor_parallel_size ?? 1)
    const sleeper = devMode
      ? createSleeper({
          v,
          logs,
          alloc: started.alloc,
          cuda: c.cuda,
          tp,
          enabled: !!args.enable_sleep_mode,
          weightsPerGpu: plan.weightBytes,
          kvBytes: plan.kvBytes,
          awakeBytes: plan.allocatedBytes,
          speed: sim.speed,
          hostFreeBytes: hostFreeFrom(env),
        })
      : null
    if (devMode) logs.api.warning('api_server.py:1669', DEV_MODE_WARNING)
    logs.api.info('loggers.py:147', `Engine 000: vllm cache_config_info with initialization after num_gpu_blocks is: ${plan.kvTokens / 16}`)
    logs.api.info('api_server.py:1634', `Supported_tasks: ${pyRepr(taskNames(c.tasks))}`)
    await new Promise((r) => setTimeout(r, 100 / sim.speed))
    if (sim.hangAt === 'server') await done
    const host = args.host ?? '0.0.0.0'
    const port = Number(args.port ?? 8000)
    logs.api.info('api_server.py:1912', v.listening.replace('%s', `http://${host.includes(':') ? `[${host}]` : host}:${port}`))
    logs.api.info('launcher.py:34', 'Available routes are:')
    for (const r of routes) logs.api.info('launcher.py:42', `Route: ${r.path}, Methods: ${r.methods.join(', ')}`)
    const skip = String(args.disable_access_log_for_endpoints ?? '')
      .split(',')
      .filter(Boolean)
    server = createApiServer({
      v,
      servedNames,
      root: c.model.name,
      maxModelLen: plan.maxModelLen,
      tasks: c.tasks,
      hiddenSize: c.model.hiddenSize,
      labels: c.model.labels,
      stats,
      tokensPerS: Math.max(1, num(env.INFERADMIN_SIM_TOKENS_PER_S, 80)),
      ttftMs: Math.max(0, num(env.INFERADMIN_SIM_TTFT_MS, 60)),
      loadChanged: () => started.alloc.setLoad({ active: stats.running, waiting: stats.waiting }),
      dead: () => dead,
      auth: { keys: apiKeys(args.api_key, env), prefixes: v.authPrefixes },
      log: logs.api,
      createdAt: Date.now(),
      accessLog: { enabled: !args.disable_uvicorn_access_log, skip },
      routes,
      sleeper,
      garbled: () => sleeper?.garbled() ?? false,
      metrics: {
        model: servedNames[0],
        kvTokens: plan.kvTokens,
        blockSize: 16,
        gpuMemoryUtilization: Number(args.gpu_memory_utilization),
        numGpuBlocks: plan.kvTokens / 16,
        oldNames: ['0.10.0', '0.11.0'].includes(v.version) && !!args.show_hidden_metrics_for_version,
      },
    })
    const srv = server
    await new Promise((res, rej) => {
      srv.once('error', rej)
      srv.listen(port, host === '0.0.0.0' ? undefined : host, () => res(undefined))
    }).catch(() => {
      logs.api.traceback(
        `Traceback (most recent call last):\nOSError: [Errno 98] error while attempting to bind on address ('${host}', ${port}): address already in use`,
      )
      throw new SimExit(1)
    })
    logs.api.uvicorn(`Started server process [${process.pid}]`)
    logs.api.uvicorn('Waiting for application startup.')
    logs.api.uvicorn('Application startup complete.')
    if (c.io.readyFile) writeFileSync(c.io.readyFile, JSON.stringify({ port, host, pid: process.pid }))
    const interval = num(env.VLLM_LOG_STATS_INTERVAL, 10) * 1000
    const timer = args.disable_log_stats
      ? null
      : setInterval(() => {
          const line = statsLine(stats, plan.kvTokens)
          if (line) logs.api.info('loggers.py:123', line)
        }, interval)
    timer?.unref()
    if (sim.crashAt === 'running') {
      setTimeout(
        () => {
          dead = true
          engineDeadLines(logs)
          started.alloc.release()
          setTimeout(() => {
            logs.api.info('launcher.py:99', 'Shutting down FastAPI HTTP server.')
            srv.close()
            srv.closeAllConnections()
            finish?.(1)
          }, 1000 / sim.speed)
        },
        (num(env.INFERADMIN_SIM_CRASH_AFTER_S, 2) * 1000) / sim.speed,
      )
    }
    return await done
  } catch (e) {
    holder.alloc?.release()
    if (e instanceof SimExit) return e.code
    throw e
  } finally {
    process.off('SIGTERM', onSig)
    process.off('SIGINT', onSig)
  }
}
