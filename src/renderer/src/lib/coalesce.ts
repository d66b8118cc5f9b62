/**
 * Wraps an async task so that triggers never overlap: a trigger while it runs asks for exactly one more run after it
 * (however many came), so a burst of changes costs at most two fetches and the last one sees the latest state.
 */
export function coalesced(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let again = false
  const loop = async (): Promise<void> => {
    do {
      again = false
      try {
        await task()
      } catch {
        // the task reports its own errors; the next trigger tries again
      }
    } while (again)
    running = null
  }
  return () => {
    if (running) {
      again = true
      return running
    }
    running = loop()
    return running
  }
}
