import { ORPCError, ValidationError } from '@orpc/server'
import type { z } from 'zod'
import { fieldErrors, summarizeFields } from '../settings/issues'

/**
 * oRPC reports invalid input as BAD_REQUEST "Input validation failed" with the raw issues as cause.
 * Rewrite it so the message names each wrong field and the data carries {fix, fields} like every
 * other declared error. Output validation failures stay internal errors (a bug of ours).
 */
export function rewriteValidationError(error: unknown): unknown {
  if (!(error instanceof ORPCError) || error.code !== 'BAD_REQUEST' || !(error.cause instanceof ValidationError)) return error
  const fields = fieldErrors(error.cause.issues as unknown as z.core.$ZodIssue[])
  return new ORPCError('BAD_REQUEST', {
    status: 400,
    message: `Invalid input — ${summarizeFields(fields)}`,
    data: { fix: 'Correct the named field(s) and try again; nothing was changed.', fields },
    cause: error.cause,
  })
}
