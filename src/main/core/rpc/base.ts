import { implement } from '@orpc/server'
import { contract } from '../../../shared/contract'
import { rewriteValidationError } from './validation'

/** Per-call context. `transport` says how the call arrived (for logs and auth-sensitive features). */
export interface RpcContext {
  transport?: 'ipc' | 'ws' | 'rest'
}

const os = implement(contract).$context<RpcContext>()

/**
 * The implementer every domain router builds on: one middleware gives invalid input the declared
 * error shape (field-named message + {fix, fields}) whatever the transport.
 */
export const base = os.use(async ({ next }) => {
  try {
    return await next()
  } catch (error) {
    throw rewriteValidationError(error)
  }
})
