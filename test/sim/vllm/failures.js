// @ts-check
/**
 * How the simulated vLLM dies: Python tracebacks ending in vLLM's own exception lines, in the places the
 * real one prints them (vllm-facts §2 "Fatal lines to surface"): the API server process for config and
 * model errors, the EngineCore process (then "Engine core initialization failed") for device, memory
 * and KV-cache errors. Frames are abbreviated; the last line is the real message.
 */

/** @typedef {import('./log.js').ProcLogger} ProcLogger */

export class SimExit extends Error {
  /** @param {number} code */
  constructor(code) {
    super(`exit ${code}`)
    this.code = code
  }
}

const PKG = '/usr/local/lib/python3.12/dist-packages/vllm'

/**
 * A failure in the API server process (argument validation, model resolution), exit 1.
 * @param {ProcLogger} api
 * @param {string} pyType
 * @param {string} message
 */
export function apiServerFailure(api, pyType, message) {
  api.traceback(
    [
      'Traceback (most recent call last):',
      '  File "/usr/local/bin/vllm", line 10, in <module>',
      '    sys.exit(main())',
      `  File "${PKG}/entrypoints/cli/main.py", line 73, in main`,
      '    args.dispatch_function(args)',
      `  File "${PKG}/engine/arg_utils.py", line 1176, in create_engine_config`,
      '    model_config = self.create_model_config()',
      `${pyType}: ${message}`,
    ].join('\n'),
  )
  return new SimExit(1)
}

/**
 * A failure inside EngineCore during startup, reported again by the API server (exit 1).
 * @param {{api: ProcLogger, engine: ProcLogger}} logs
 * @param {string} procName  EngineCore_DP0 | EngineCore
 * @param {string} pyType
 * @param {string} message
 * @param {{file: string, fn: string, code: string}} frame  where the error is raised
 */
export function engineStartupFailure(logs, procName, pyType, message, frame) {
  const tb = [
    'Traceback (most recent call last):',
    `  File "${PKG}/v1/engine/core.py", line 699, in run_engine_core`,
    '    engine_core = EngineCoreProc(*args, **kwargs)',
    `  File "${PKG}/${frame.file}", in ${frame.fn}`,
    `    ${frame.code}`,
    `${pyType}: ${message}`,
  ].join('\n')
  logs.engine.error('core.py:708', `EngineCore failed to start.\n${tb}`)
  logs.engine.traceback(`Process ${procName}:\n${tb}`)
  logs.api.traceback(
    [
      'Traceback (most recent call last):',
      '  File "/usr/local/bin/vllm", line 10, in <module>',
      '    sys.exit(main())',
      `  File "${PKG}/v1/engine/utils.py", line 908, in wait_for_engine_startup`,
      '    raise RuntimeError(',
      'RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}',
    ].join('\n'),
  )
  return new SimExit(1)
}

/**
 * EngineCore dies while serving (INFERADMIN_SIM_CRASH_AT=running): EngineDeadError, /health → 503, exit 1.
 * @param {{api: ProcLogger, engine: ProcLogger}} logs
 */
export function engineDeadLines(logs) {
  logs.engine.error(
    'core.py:790',
    'EngineCore encountered a fatal error.\nTraceback (most recent call last):\n' +
      `  File "${PKG}/v1/engine/core.py", line 781, in run_engine_core\n    engine_core.run_busy_loop()\n` +
      'torch.AcceleratorError: CUDA error: an illegal memory access was encountered',
  )
  logs.api.error('async_llm.py:480', 'AsyncLLM output_handler failed.')
  logs.api.error(
    'async_llm.py:480',
    'vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. See stack trace (above) for the root cause.',
  )
}
