import { describe, expect, it } from 'vitest'
import { coalesced } from '@/lib/coalesce'

function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined
  const wait = new Promise<void>((r) => (open = r))
  return { wait, open }
}

describe('coalesced', () => {
  it('runs once per trigger when triggers come one after another', async () => {
    let runs = 0
    const refresh = coalesced(async () => void runs++)
    await refresh()
    await refresh()
    expect(runs).toBe(2)
  })

  it('turns a burst of triggers during a run into exactly one more run', async () => {
    const gates = [gate(), gate()]
    let runs = 0
    const refresh = coalesced(async () => {
      const g = gates[runs++]
      if (g) await g.wait
    })
    const first = refresh()
    const more = [refresh(), refresh(), refresh()]
    expect(runs).toBe(1)
    gates[0]!.open()
    gates[1]!.open()
    await Promise.all([first, ...more])
    expect(runs).toBe(2)
  })

  it('keeps going after a failed run', async () => {
    let runs = 0
    const refresh = coalesced(async () => {
      runs++
      throw new Error('offline')
    })
    await refresh()
    await refresh()
    expect(runs).toBe(2)
  })
})
