/**
 * Leading + trailing throttle: the first call runs at once, calls within `ms` of the last run collapse into one run
 * when the window ends. The tray rebuilds its menu through this (at most once a second, never missing the last state).
 */
export interface Throttled {
  /** Ask for a run. */
  (): void
  /** Drops a pending trailing run; later calls do nothing. */
  cancel(): void
}

export function throttle(run: () => void, ms: number): Throttled {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`throttle needs a delay of 0 ms or more (got ${ms})`)
  let timer: NodeJS.Timeout | undefined
  let pending = false
  let stopped = false

  const fire = (): void => {
    pending = false
    run()
    timer = setTimeout(() => {
      timer = undefined
      if (pending && !stopped) fire()
    }, ms)
  }

  const throttled = (): void => {
    if (stopped) return
    if (timer === undefined) fire()
    else pending = true
  }
  throttled.cancel = (): void => {
    stopped = true
    pending = false
    clearTimeout(timer)
    timer = undefined
  }
  return throttled
}
