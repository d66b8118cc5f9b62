import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { GatewayLogEntry } from './request-log'

/** Per-model counts at scrape time. */
export interface GatewayLoad {
  model: string
  inFlight: number
  held: number
}

const SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]
const LOAD_SECONDS = [1, 5, 10, 30, 60, 120, 300, 600, 1200]

/**
 * The gateway's Prometheus metrics (`inferadmin_gateway_*`), registered in the core's registry. The app makes a new
 * gateway server when its port or address changes: counters and histograms registered by an earlier one are taken
 * over (they keep counting), the gauges are made anew so they read the live server.
 */
export class GatewayMetrics {
  readonly #requests: Counter<'model' | 'status'>
  readonly #latency: Histogram<'model'>
  readonly #ttft: Histogram<'model'>
  readonly #tokens: Counter<'model' | 'direction'>
  readonly #hold: Histogram<'model'>
  readonly #coldStarts: Counter<'model'>
  readonly #coldStartSeconds: Histogram<'model'>
  readonly #unloads: Counter<'model' | 'reason'>

  constructor(registry: Registry, load: () => GatewayLoad[]) {
    const registers = [registry]
    const reuse = <T>(name: string, make: (name: string) => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make(name)
    this.#requests = reuse(
      'inferadmin_gateway_requests_total',
      (name) =>
        new Counter({
          name,
          help: 'Requests by model and HTTP status.',
          labelNames: ['model', 'status'],
          registers,
        }),
    )
    this.#latency = reuse(
      'inferadmin_gateway_request_duration_seconds',
      (name) =>
        new Histogram({
          name,
          help: 'Time from arrival to the last byte of the answer.',
          labelNames: ['model'],
          buckets: SECONDS,
          registers,
        }),
    )
    this.#ttft = reuse(
      'inferadmin_gateway_ttft_seconds',
      (name) =>
        new Histogram({
          name,
          help: "Time from arrival to the first byte of the model's answer.",
          labelNames: ['model'],
          buckets: SECONDS,
          registers,
        }),
    )
    this.#tokens = reuse(
      'inferadmin_gateway_tokens_total',
      (name) =>
        new Counter({
          name,
          help: 'Tokens in and out, where the answer shows its usage.',
          labelNames: ['model', 'direction'],
          registers,
        }),
    )
    this.#hold = reuse(
      'inferadmin_gateway_hold_seconds',
      (name) =>
        new Histogram({
          name,
          help: 'Time requests were held waiting for a model to load.',
          labelNames: ['model'],
          buckets: LOAD_SECONDS,
          registers,
        }),
    )
    this.#coldStarts = reuse(
      'inferadmin_gateway_cold_starts_total',
      (name) =>
        new Counter({
          name,
          help: 'Models the gateway started on request.',
          labelNames: ['model'],
          registers,
        }),
    )
    this.#coldStartSeconds = reuse(
      'inferadmin_gateway_cold_start_seconds',
      (name) =>
        new Histogram({
          name,
          help: 'Time from the start the gateway issued to the model being ready.',
          labelNames: ['model'],
          buckets: LOAD_SECONDS,
          registers,
        }),
    )
    this.#unloads = reuse(
      'inferadmin_gateway_unloads_total',
      (name) =>
        new Counter({
          name,
          help: 'Models the gateway unloaded, by reason (idle, manual).',
          labelNames: ['model', 'reason'],
          registers,
        }),
    )
    const gauge = (name: string, help: string, pick: (l: GatewayLoad) => number): void => {
      registry.removeSingleMetric(name)
      new Gauge({
        name,
        help,
        labelNames: ['model'],
        registers,
        collect() {
          this.reset()
          for (const l of load()) this.set({ model: l.model }, pick(l))
        },
      })
    }
    gauge('inferadmin_gateway_in_flight', 'Requests being answered now, by model.', (l) => l.inFlight)
    gauge('inferadmin_gateway_held', 'Requests held now waiting for a model to load.', (l) => l.held)
  }

  /** One finished request (model: the backend's name, or "(unknown)" when it was not routed). */
  request(e: GatewayLogEntry): void {
    const model = e.backend ?? '(unknown)'
    this.#requests.inc({ model, status: String(e.status) })
    this.#latency.observe({ model }, e.latencyMs / 1000)
    if (e.ttftMs !== null) this.#ttft.observe({ model }, e.ttftMs / 1000)
    if (e.tokensIn !== null) this.#tokens.inc({ model, direction: 'in' }, e.tokensIn)
    if (e.tokensOut !== null) this.#tokens.inc({ model, direction: 'out' }, e.tokensOut)
    if (e.heldMs !== null) this.#hold.observe({ model }, e.heldMs / 1000)
  }

  coldStart(model: string, ms: number): void {
    this.#coldStarts.inc({ model })
    this.#coldStartSeconds.observe({ model }, ms / 1000)
  }

  unload(model: string, reason: 'idle' | 'manual'): void {
    this.#unloads.inc({ model, reason })
  }
}
