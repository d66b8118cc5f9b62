import type { GatewayBackend, GatewayBackends } from './backends'

/**
 * Backends held in memory with the change signal the deployment service gives. `start` records the call and runs
 * `onStart` (by default nothing: the test moves the state); `stop` records and sets the state to stopped.
 */
export class FakeBackends implements GatewayBackends {
  readonly starts: string[] = []
  readonly stops: { id: string; reason: 'idle' | 'manual' }[] = []
  onStart: (id: string) => void | Promise<unknown> = () => undefined
  #list: GatewayBackend[]
  readonly #listeners = new Set<() => void>()
  readonly #onStop: ((s: { id: string; reason: 'idle' | 'manual' }) => void)[] = []

  constructor(list: GatewayBackend[]) {
    this.#list = list
  }

  list(): readonly GatewayBackend[] {
    return this.#list
  }

  onChange(fn: () => void): { dispose(): void } {
    this.#listeners.add(fn)
    return { dispose: () => void this.#listeners.delete(fn) }
  }

  start(id: string): void | Promise<unknown> {
    this.starts.push(id)
    return this.onStart(id)
  }

  async stop(id: string, reason: 'idle' | 'manual'): Promise<void> {
    this.stops.push({ id, reason })
    this.set(id, { state: 'stopped', endpoint: null })
    for (const fn of this.#onStop.splice(0)) fn({ id, reason })
  }

  /** Resolves at the next stop(). */
  nextStop(): Promise<{ id: string; reason: 'idle' | 'manual' }> {
    return new Promise((r) => this.#onStop.push(r))
  }

  /** Change one backend and emit. */
  set(id: string, patch: Partial<GatewayBackend>): void {
    this.#list = this.#list.map((b) => (b.id === id ? { ...b, ...patch } : b))
    this.emit()
  }

  replace(list: GatewayBackend[]): void {
    this.#list = list
    this.emit()
  }

  emit(): void {
    for (const fn of [...this.#listeners]) fn()
  }

  get(id: string): GatewayBackend {
    const b = this.#list.find((x) => x.id === id)
    if (!b) throw new Error(`no backend ${id}`)
    return b
  }
}

export const backend = (id: string, o: Partial<GatewayBackend> = {}): GatewayBackend => ({
  id,
  servedNames: [id],
  serve: 'on-demand',
  state: 'stopped',
  endpoint: null,
  ...o,
})
