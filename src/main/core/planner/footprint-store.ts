/**
 * The learned footprints (issue #16 points 1 and 8), persisted in `<dataDir>/planner/footprints.json`: one record per
 * memory fingerprint (`fingerprint()`), merged over the successful loads, the telemetry's measurements, sleeps and the
 * memory failures. Bounded (the least recently changed records are dropped past `maxKeys`), written atomically
 * (temp file + rename, one write at a time), validated on load: a file that does not parse is moved aside and
 * reported (`problem()`), a record that does not validate is skipped; neither stops the app.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { z } from 'zod'
import { Publisher, type Disposable } from '../events/publisher'
import { raisedFixedBytes, type MemoryFailure } from './failure'
import { fixedNeedBytes, kvBytesPerToken, type Footprint } from './footprint-lines'
import type { FootprintLookup, LearnedFootprint } from './learned'

const n = z.number().nullable()
const Seconds = z.object({ weights: n, compile: n, profiling: n, graphs: n, engine: n })
const FootprintSchema = z.object({
  weightsBytes: n,
  activationPeakBytes: n,
  nonTorchBytes: n,
  cudaGraphBytes: n,
  cudaGraphSource: z.enum(['measured', 'estimated']).nullable(),
  graphsInBudget: z.boolean().nullable(),
  kvCacheBytes: n,
  kvCacheSource: z.enum(['profiled', 'specified']).nullable(),
  kvCacheTokens: n,
  maxConcurrency: z.object({ tokensPerRequest: z.number(), times: z.number() }).nullable(),
  nonKvBytes: n,
  loadSeconds: Seconds,
})
const Learned = z.object({
  key: z.string().min(1),
  fixedBytesPerGpu: z.number().nonnegative(),
  kvBytesPerToken: n,
  kvCacheBytes: n,
  kvCacheTokens: n,
  measuredBytesPerGpu: n,
  loadSeconds: n,
  phases: Seconds.nullable(),
  wakeSeconds: n,
  wakes: z.number().int().nonnegative().optional(),
  sleepKeptBytesPerGpu: n,
  loads: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  updatedAt: z.string(),
  last: FootprintSchema.nullable(),
})
const StoreFile = z.object({ version: z.literal(1), footprints: z.array(z.unknown()) })

export const FOOTPRINTS_FILE = join('planner', 'footprints.json')

export interface FootprintStoreOptions {
  dataDir: string
  logger: Logger
  /** Records kept (default 500); past it the least recently changed go. */
  maxKeys?: number
  /** Clock (tests). */
  now?: () => Date
}

export interface RecordLoadOptions {
  /** Seconds from container start to ready (null: unknown, the mean is left alone). */
  loadSeconds: number | null
  /** ceil(torch total × --gpu-memory-utilization) of this start: needed to derive the fixed need from INFO lines alone. */
  requestedBytes?: number
}

const mean = (old: number | null, count: number, x: number): number => (old === null || count <= 0 ? x : (old * count + x) / (count + 1))

export class FootprintStore implements FootprintLookup {
  private readonly file: string
  private readonly max: number
  private readonly now: () => Date
  private readonly byKey = new Map<string, LearnedFootprint>()
  private readonly changes: Publisher<LearnedFootprint>
  private chain: Promise<void> = Promise.resolve()
  private loadProblem: string | null = null

  constructor(private readonly o: FootprintStoreOptions) {
    this.file = join(o.dataDir, FOOTPRINTS_FILE)
    this.max = o.maxKeys ?? 500
    if (!(Number.isInteger(this.max) && this.max >= 1))
      throw new Error(`FootprintStore: maxKeys must be a whole number ≥ 1, got ${this.max}`)
    this.now = o.now ?? ((): Date => new Date())
    this.changes = new Publisher({ onListenerError: (err) => o.logger.error({ err }, 'footprint listener failed') })
  }

  /** Reads the file (none yet: empty). Never throws for its content: see `problem()`. */
  async load(): Promise<void> {
    let raw: string
    try {
      raw = await readFile(this.file, 'utf8')
    } catch {
      return
    }
    let entries: unknown[]
    try {
      entries = StoreFile.parse(JSON.parse(raw)).footprints
    } catch (err) {
      const aside = `${this.file}.corrupt-${this.now().getTime()}`
      await rename(this.file, aside).catch(() => undefined)
      this.loadProblem = `The learned footprints (${this.file}) could not be read and were moved to ${aside}; they will be learned again.`
      this.o.logger.error({ err, aside }, 'footprints unreadable; moved aside')
      return
    }
    let skipped = 0
    for (const e of entries) {
      const r = Learned.safeParse(e)
      if (r.success) this.byKey.set(r.data.key, r.data)
      else skipped++
    }
    if (skipped) this.o.logger.warn({ skipped }, 'skipped invalid footprint records')
    this.trim()
  }

  /** Why the file was not read at the last load (moved aside), or null. */
  problem(): string | null {
    return this.loadProblem
  }

  get(key: string): LearnedFootprint | undefined {
    const f = this.byKey.get(key)
    return f && structuredClone(f)
  }

  /** Every record, the most recently changed first. */
  list(): LearnedFootprint[] {
    return [...this.byKey.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).map((f) => structuredClone(f))
  }

  /** Each changed record (after the change). */
  onChange(fn: (f: LearnedFootprint) => void): Disposable {
    return this.changes.subscribe(fn)
  }

  /**
   * A successful load: its fixed need (fixedNeedBytes; the largest seen once loads were learned, replacing a raised
   * estimate the first time), KV per token and the KV it got, the mean load time and the phases. Undefined (nothing
   * recorded) when the log did not tell the fixed need.
   */
  recordLoad(key: string, fp: Footprint, o: RecordLoadOptions): LearnedFootprint | undefined {
    const fixed = fixedNeedBytes(fp, { requestedBytes: o.requestedBytes })
    if (fixed === null || !(fixed >= 0)) return undefined
    const prev = this.byKey.get(key)
    const loads = prev?.loads ?? 0
    return this.put({
      ...(prev ?? this.blank(key)),
      fixedBytesPerGpu: prev && loads > 0 ? Math.max(prev.fixedBytesPerGpu, fixed) : fixed,
      kvBytesPerToken: kvBytesPerToken(fp) ?? prev?.kvBytesPerToken ?? null,
      kvCacheBytes: fp.kvCacheBytes,
      kvCacheTokens: fp.kvCacheTokens,
      loadSeconds: o.loadSeconds === null ? (prev?.loadSeconds ?? null) : mean(prev?.loadSeconds ?? null, loads, o.loadSeconds),
      phases: fp.loadSeconds,
      loads: loads + 1,
      last: fp,
    })
  }

  /** The container's memory per GPU after ready (telemetry attribution): the largest seen. Unknown key: nothing. */
  recordMeasured(key: string, bytesPerGpu: number): LearnedFootprint | undefined {
    const prev = this.byKey.get(key)
    if (!prev || !(bytesPerGpu > 0) || (prev.measuredBytesPerGpu ?? 0) >= bytesPerGpu) return prev && structuredClone(prev)
    return this.put({ ...prev, measuredBytesPerGpu: bytesPerGpu })
  }

  /** A sleep/wake seen: the mean wake time and what stayed on each GPU while asleep. Unknown key: nothing. */
  recordSleep(key: string, facts: { wakeSeconds?: number | null; keptBytesPerGpu?: number | null }): LearnedFootprint | undefined {
    const prev = this.byKey.get(key)
    if (!prev) return undefined
    const wakes = prev.wakes ?? (prev.wakeSeconds === null ? 0 : 1)
    const w = facts.wakeSeconds
    return this.put({
      ...prev,
      ...(w !== null && w !== undefined && w >= 0 ? { wakeSeconds: mean(prev.wakeSeconds, wakes, w), wakes: wakes + 1 } : {}),
      sleepKeptBytesPerGpu: facts.keptBytesPerGpu ?? prev.sleepKeptBytesPerGpu,
    })
  }

  /**
   * A start failed for memory (failure.ts): the fixed need grows by the shortfall plus a margin. For a key not learned
   * yet, `fixedBytes` is what the start was planned with (an estimate); without it nothing can be raised. A failure
   * the footprint is not to blame for (free memory changed) counts the failure and keeps the need.
   */
  raiseAfterFailure(key: string, failure: MemoryFailure, o: { fixedBytes?: number } = {}): LearnedFootprint | undefined {
    const prev = this.byKey.get(key)
    const base = prev?.fixedBytesPerGpu ?? o.fixedBytes
    if (base === undefined) return undefined
    return this.put({
      ...(prev ?? this.blank(key)),
      fixedBytesPerGpu: raisedFixedBytes(base, failure),
      failures: (prev?.failures ?? 0) + 1,
    })
  }

  /** Resolves once every write so far is on disk. */
  flush(): Promise<void> {
    return this.chain
  }

  dispose(): Promise<void> {
    this.changes.clear()
    return this.flush()
  }

  private blank(key: string): LearnedFootprint {
    return {
      key,
      fixedBytesPerGpu: 0,
      kvBytesPerToken: null,
      kvCacheBytes: null,
      kvCacheTokens: null,
      measuredBytesPerGpu: null,
      loadSeconds: null,
      phases: null,
      wakeSeconds: null,
      sleepKeptBytesPerGpu: null,
      loads: 0,
      failures: 0,
      updatedAt: '',
      last: null,
    }
  }

  private put(f: LearnedFootprint): LearnedFootprint {
    // Strictly increasing times keep "least recently changed" well defined within one millisecond.
    const newest = [...this.byKey.values()].reduce((m, x) => (x.updatedAt > m ? x.updatedAt : m), '')
    let at = this.now().toISOString()
    if (at <= newest) at = new Date(Date.parse(newest) + 1).toISOString()
    const rec = { ...f, updatedAt: at }
    this.byKey.delete(f.key)
    this.byKey.set(f.key, rec)
    this.trim()
    this.save()
    this.changes.publish(structuredClone(rec))
    return structuredClone(rec)
  }

  private trim(): void {
    if (this.byKey.size <= this.max) return
    const oldest = [...this.byKey.values()].sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))
    for (const f of oldest.slice(0, this.byKey.size - this.max)) this.byKey.delete(f.key)
  }

  private save(): void {
    const snapshot = JSON.stringify({ version: 1, footprints: [...this.byKey.values()] }, null, 1) + '\n'
    const write = async (): Promise<void> => {
      await mkdir(join(this.o.dataDir, 'planner'), { recursive: true })
      const tmp = `${this.file}.${process.pid}.tmp`
      await writeFile(tmp, snapshot, { mode: 0o600 })
      await rename(tmp, this.file)
    }
    this.chain = this.chain.then(write).catch((err: unknown) => this.o.logger.error({ err, file: this.file }, 'saving footprints failed'))
  }
}
