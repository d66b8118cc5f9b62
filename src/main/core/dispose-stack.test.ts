import { describe, expect, it } from 'vitest'
import { DisposeStack } from './dispose-stack'

describe('DisposeStack', () => {
  it('stops what started newest first, waits for each, reports a failing one and still runs the rest, once', async () => {
    const errors: unknown[] = []
    const stack = new DisposeStack((err) => errors.push(err))
    const order: string[] = []
    stack.defer(() => order.push('pool'))
    stack.defer(async () => {
      await Promise.resolve()
      order.push('worker')
    })
    stack.defer(() => {
      throw new Error('jobs would not stop')
    })
    stack.defer(() => order.push('timer'))
    await stack.dispose()
    expect(order).toEqual(['timer', 'worker', 'pool'])
    expect(String(errors[0])).toContain('jobs would not stop')
    await stack.dispose()
    expect(order).toHaveLength(3)
  })
})
