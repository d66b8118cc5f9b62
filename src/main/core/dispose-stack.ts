/**
 * What has started, as the disposers that stop it: the composition root registers each one as its service starts and
 * runs them newest first, on shutdown or when a later start-up step fails. A disposer that throws is reported and the
 * others still run; each runs once.
 */
export class DisposeStack {
  readonly #disposers: (() => unknown)[] = []

  constructor(private readonly onError: (err: unknown) => void) {}

  /** Registers how to stop something that has just started. */
  defer(dispose: () => unknown): void {
    this.#disposers.push(dispose)
  }

  /** Runs every registered disposer, newest first, each awaited before the next. */
  async dispose(): Promise<void> {
    for (let d = this.#disposers.pop(); d; d = this.#disposers.pop()) {
      try {
        await d()
      } catch (err) {
        this.onError(err)
      }
    }
  }
}
