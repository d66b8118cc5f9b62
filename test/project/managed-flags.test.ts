import { describe, expect, it } from 'vitest'
import { MANAGED_FLAGS as validated } from '../../src/main/core/engine/flags-validate'
import { MANAGED_FLAGS as hidden } from '../../src/shared/managed-flags'

describe('flags set by the definition', () => {
  it('the argument form hides exactly the flags the server refuses in args', () => {
    expect([...hidden].sort()).toEqual(Object.keys(validated).sort())
  })
})
