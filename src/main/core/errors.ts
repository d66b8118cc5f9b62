import { ORPCError } from '@orpc/server'
import type { ErrorCode, ErrorData } from '../../shared/errors'
import { commonErrors } from '../../shared/errors'

/** A declared error: code + human message + the fix. Thrown by services, carried as-is by every transport. */
export class AppError extends ORPCError<ErrorCode, ErrorData> {
  constructor(code: ErrorCode, message: string, data: ErrorData, options?: { cause?: unknown }) {
    super(code, { status: commonErrors[code].status, message, data, cause: options?.cause })
  }
}
