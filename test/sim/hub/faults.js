// @ts-check
/**
 * Injectable faults of the Hub stand-in (hf-hub-protocol.md §7.5). A fault applies to requests whose
 * route (api | resolve | cdn) and "path file" text match, `count` times (default once; Infinity
 * for throttling). Body faults act while the body is written.
 */

/**
 * @typedef {object} Fault
 * @property {'rateLimit'|'status'|'stall'|'truncate'|'drop'|'corrupt'|'throttle'|'ignoreRange'|'expire'|'hostile'} kind
 *   (expire: the CDN refuses the signed URL as expired, 403; hostile: see `hostile()`)
 * @property {'api'|'resolve'|'cdn'} [route]  which kind of request it hits (any when absent)
 * @property {string} [match]   substring of "<pathname> <file>" (file = repo path the body belongs to)
 * @property {number} [count]   how many requests it hits (default 1)
 * @property {number} [t]            rateLimit: seconds until the window resets (default 1)
 * @property {number} [retryAfter]   rateLimit: Retry-After seconds
 * @property {number} [code]         status: 500 | 502 | 503 | 504
 * @property {number} [afterBytes]   stall/truncate/drop: body bytes sent before the fault
 * @property {number} [ms]           stall: how long to hang before closing the socket (default 60000)
 * @property {number} [at]           corrupt: file offset of the byte to flip
 * @property {number} [bytesPerSec]  throttle
 * @property {(n: number) => void} [onSent]  throttle: called with each slice of body bytes as it is written (a
 *   test's trigger, e.g. kill the client after N bytes)
 * @property {HostileField} [field]  hostile: which value of the Hub's answers is replaced
 * @property {unknown} [value]       hostile: what the Hub answers instead (any JSON value)
 * @property {number} [hits]         filled in: how many requests it has hit
 */

/**
 * Values a hostile Hub lies about: `sha` (commit of model info and X-Repo-Commit), and per tree entry
 * `path`, `oid` (git sha1), `lfsOid` (sha256 of LFS files) and `size`.
 * @typedef {'sha'|'path'|'oid'|'lfsOid'|'size'} HostileField
 */

export class Faults {
  constructor() {
    /** @type {Fault[]} */
    this.active = []
  }

  /** @param {Fault} f @returns {Fault} */
  add(f) {
    const fault = { count: f.kind === 'throttle' || f.kind === 'hostile' ? Infinity : 1, ...f, hits: 0 }
    this.active.push(fault)
    return fault
  }
  /** @param {Omit<Fault, 'kind'>} [o] */
  rateLimit(o = {}) {
    return this.add({ kind: 'rateLimit', ...o })
  }
  /** @param {Omit<Fault, 'kind'>} [o] */
  status(o = {}) {
    return this.add({ kind: 'status', code: 503, ...o })
  }
  /** @param {Omit<Fault, 'kind'>} [o] */
  stall(o = {}) {
    return this.add({ kind: 'stall', afterBytes: 0, ms: 60_000, ...o })
  }
  /** @param {Omit<Fault, 'kind'>} [o] */
  truncate(o = {}) {
    return this.add({ kind: 'truncate', afterBytes: 0, ...o })
  }
  /** @param {Omit<Fault, 'kind'>} [o] */
  drop(o = {}) {
    return this.add({ kind: 'drop', afterBytes: 0, ...o })
  }
  /** @param {Omit<Fault, 'kind'>} [o] */
  corrupt(o = {}) {
    return this.add({ kind: 'corrupt', at: 0, ...o })
  }
  /** @param {Omit<Fault, 'kind'>} [o] */
  throttle(o = {}) {
    return this.add({ kind: 'throttle', bytesPerSec: 1 << 20, ...o })
  }
  /** @param {Omit<Fault, 'kind'>} [o] */
  ignoreRange(o = {}) {
    return this.add({ kind: 'ignoreRange', ...o })
  }
  /** The CDN answers 403 AccessDenied as for an expired signature (clients must resolve again). @param {Omit<Fault, 'kind'>} [o] */
  expire(o = {}) {
    return this.add({ kind: 'expire', route: 'cdn', ...o })
  }
  /**
   * A hostile Hub: answers `value` instead of the real `field` (of entries whose path contains `match`;
   * every request by default). It stands by its lie: the URLs a client builds from a lied commit or
   * file name are served as the real ones, so a client that trusts the value gets as far as it would.
   * E.g. `hostile({ field: 'sha', value: '../../../../escaped' })`, `hostile({ field: 'size', value: -1 })`.
   * @param {Omit<Fault, 'kind'> & { field: HostileField }} o
   */
  hostile(o) {
    return this.add({ kind: 'hostile', ...o })
  }
  /**
   * The hostile fault for `field` that applies to this request (counted as a hit), if any.
   * @param {'api'|'resolve'|'cdn'} route @param {string} text @param {HostileField} field @returns {Fault | undefined}
   */
  hostileFor(route, text, field) {
    for (const f of this.active) {
      if (f.kind !== 'hostile' || f.field !== field) continue
      if (f.route && f.route !== route) continue
      if (f.match && !text.includes(f.match)) continue
      if ((f.hits ?? 0) >= (f.count ?? 1)) continue
      f.hits = (f.hits ?? 0) + 1
      return f
    }
    return undefined
  }
  /** Removes one fault, or all. @param {Fault} [f] */
  clear(f) {
    this.active = f ? this.active.filter((x) => x !== f) : []
  }

  /**
   * Faults of the given kinds that apply to this request; each returned fault is counted as a hit.
   * @param {'api'|'resolve'|'cdn'} route @param {string} text @param {Fault['kind'][]} kinds
   */
  take(route, text, kinds) {
    /** @type {Fault[]} */
    const out = []
    for (const f of this.active) {
      if (!kinds.includes(f.kind)) continue
      if (f.route && f.route !== route) continue
      if (f.match && !text.includes(f.match)) continue
      if ((f.hits ?? 0) >= (f.count ?? 1)) continue
      f.hits = (f.hits ?? 0) + 1
      out.push(f)
    }
    return out
  }
}
