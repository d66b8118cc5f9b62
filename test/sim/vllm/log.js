// @ts-check
/**
 * vLLM's log format (vllm-facts §2 "Startup log lines"): `LEVEL MM-DD HH:MM:SS [file.py:line] message`,
 * prefixed by the process (`(APIServer pid=1) `, `(EngineCore_DP0 pid=…) `) from v0.11 on; multi-line
 * messages repeat the prefix on each line; uvicorn's own lines are `INFO:     message`.
 */

/** @typedef {import('./versions.js').VersionInfo} VersionInfo */

/** @param {Date} d */
function stamp(d) {
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0')
  return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/**
 * @typedef {object} ProcLogger
 * @property {(src: string, msg: string) => void} info
 * @property {(src: string, msg: string) => void} warning
 * @property {(src: string, msg: string) => void} error
 * @property {(msg: string) => void} uvicorn   `INFO:     msg`
 * @property {(text: string) => void} traceback  to stderr, each line prefixed
 */

/**
 * @param {VersionInfo} v
 * @param {{pid: number, out: (s: string) => void, err: (s: string) => void, now?: () => Date}} o
 * @returns {{api: ProcLogger, engine: ProcLogger, bare: ProcLogger}}
 */
export function createLoggers(v, o) {
  const now = o.now ?? (() => new Date())
  /** @param {string | null} proc */
  const make = (proc) => {
    const prefix = proc && v.procPrefix ? `(${proc} pid=${o.pid}) ` : ''
    /** @param {string} level @param {string} src @param {string} msg */
    const line = (level, src, msg) => {
      const head = `${prefix}${level} ${stamp(now())} [${src}]`
      o.out(
        msg
          .split('\n')
          .map((l) => (l ? `${head} ${l}` : head))
          .join('\n') + '\n',
      )
    }
    return {
      info: (/** @type {string} */ src, /** @type {string} */ msg) => line('INFO', src, msg),
      warning: (/** @type {string} */ src, /** @type {string} */ msg) => line('WARNING', src, msg),
      error: (/** @type {string} */ src, /** @type {string} */ msg) => line('ERROR', src, msg),
      uvicorn: (/** @type {string} */ msg) => o.out(`${prefix}INFO:     ${msg}\n`),
      traceback: (/** @type {string} */ text) =>
        o.err(
          text
            .split('\n')
            .map((l) => `${prefix}${l}`)
            .join('\n') + '\n',
        ),
    }
  }
  return {
    api: make(v.procPrefix?.api ?? null),
    engine: make(v.procPrefix?.engine ?? null),
    bare: make(null),
  }
}
