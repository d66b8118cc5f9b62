import { z } from 'zod'

/**
 * Declared error codes. Every procedure error is one of these; the UI branches on `code`,
 * shows `message` and `data.fix`. Never put secrets in error data.
 */
export const ErrorData = z.object({
  /** What the user can do about it, one sentence. */
  fix: z.string(),
  /** Field paths (dot-joined) and what is wrong with each, for input problems. */
  fields: z.record(z.string(), z.string()).optional(),
  /** vLLM arguments that apply the fix (a deployment's one-click fix), when there are such. */
  fixArgs: z.record(z.string(), z.number()).optional(),
})
export type ErrorData = z.infer<typeof ErrorData>

export const commonErrors = {
  BAD_REQUEST: { status: 400, message: 'The request is invalid.', data: ErrorData },
  /** No access (gated or private repository, token missing, invalid or not approved). */
  FORBIDDEN: { status: 403, message: 'Access denied.', data: ErrorData },
  NOT_FOUND: { status: 404, message: 'Not found.', data: ErrorData },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state.', data: ErrorData },
  UNAVAILABLE: { status: 503, message: 'A service this needs is not available.', data: ErrorData },
} as const

export type ErrorCode = keyof typeof commonErrors

/** Shape of an error as a client sees it (oRPC ORPCError serialised). */
export interface ClientErrorLike {
  code: string
  message: string
  data?: Partial<ErrorData>
}

/** Pulls a user-presentable {message, fix, fields} out of anything thrown by an RPC call. */
export function describeError(err: unknown): { message: string; fix?: string; fields?: Record<string, string> } {
  if (err && typeof err === 'object' && 'message' in err) {
    const e = err as { message: unknown; data?: unknown }
    const data = (e.data && typeof e.data === 'object' ? e.data : {}) as Partial<ErrorData>
    return { message: String(e.message), fix: data.fix, fields: data.fields }
  }
  return { message: String(err) }
}
