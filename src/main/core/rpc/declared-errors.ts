import { ORPCError, type Context } from '@orpc/server'
import type { StandardHandlerOptions } from '@orpc/server/standard'

/**
 * Handler options that keep every answer of a transport (REST, WebSocket RPC, MessagePort) in the declared error
 * shape {code, status, message, data: {fix}}, whatever the client sent (the hostile-input suite checks this):
 * - an unknown procedure is NOT_FOUND with a fix (oRPC's peers answer a bare "No procedure matched");
 * - a request that cannot be decoded is BAD_REQUEST with a fix (oRPC says "Malformed request", no fix);
 * - an input carrying an own `__proto__`, `constructor` or `prototype` key is refused before validation (zod drops
 *   such keys silently; an input is never half-taken);
 * - any other error without a fix gets the generic one for its code.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const CALLED = Symbol('inferadmin.procedureCalled')
/** Inputs are bounded by the transports (1 MiB, 16 MiB); this bounds the walk too. */
const MAX_WALK = 200_000

const FIXES: Record<string, string> = {
  BAD_REQUEST: 'Correct the request and try again; nothing was changed.',
  NOT_FOUND: 'Check the name or id; the API is described at /api/v1/openapi.json.',
  UNAUTHORIZED: 'Send a valid token.',
  FORBIDDEN: 'This call is not allowed from here.',
  CONFLICT: 'Reload the current state and try again.',
  INTERNAL_SERVER_ERROR: 'Try again; if it persists, report it with the log.',
}

interface Marked {
  [CALLED]?: { called: boolean }
}

function reservedKeyPath(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, 'input']]
  for (let seen = 0; stack.length > 0 && seen < MAX_WALK; seen++) {
    const [v, path] = stack.pop() as [unknown, string]
    if (v === null || typeof v !== 'object') continue
    for (const key of Object.keys(v)) {
      if (RESERVED_KEYS.has(key)) return `${path}.${key}`
      stack.push([(v as Record<string, unknown>)[key], `${path}.${key.slice(0, 64)}`])
    }
  }
  return undefined
}

function hasFix(data: unknown): boolean {
  return typeof data === 'object' && data !== null && typeof (data as { fix?: unknown }).fix === 'string'
}

function withFix(e: ORPCError<string, unknown>): ORPCError<string, unknown> {
  if (hasFix(e.data)) return e
  const data = typeof e.data === 'object' && e.data !== null ? e.data : {}
  const fix = FIXES[e.code] ?? FIXES.BAD_REQUEST
  return new ORPCError(e.code, { status: e.status, message: e.message, defined: e.defined, data: { ...data, fix }, cause: e })
}

/** Options for oRPC's handlers (`new RPCHandler(router, declaredErrors({ unknownProcedure: true }))`). */
export function declaredErrors<T extends Context>(opts: {
  unknownProcedure: boolean
}): Pick<StandardHandlerOptions<T>, 'interceptors' | 'clientInterceptors'> {
  return {
    interceptors: [
      async (o) => {
        const state = { called: false }
        try {
          const result = await o.next({ ...o, context: { ...o.context, [CALLED]: state } })
          if (!result.matched && opts.unknownProcedure) {
            throw new ORPCError('NOT_FOUND', { message: 'No such procedure.', data: { fix: FIXES.NOT_FOUND } })
          }
          return result
        } catch (e) {
          if (!(e instanceof ORPCError)) {
            if (state.called) throw e
            const why = e instanceof Error ? e.message.slice(0, 200) : 'it could not be decoded'
            const fix = 'Send the input as the API describes it (JSON for REST, the RPC encoding over the WebSocket).'
            throw new ORPCError('BAD_REQUEST', { message: `Malformed request: ${why}`, data: { fix }, cause: e })
          }
          throw withFix(e)
        }
      },
    ],
    clientInterceptors: [
      (o) => {
        const marker = (o.context as Marked)[CALLED]
        if (marker) marker.called = true
        const bad = reservedKeyPath(o.input)
        if (bad) {
          const fix = 'Remove that key; `__proto__`, `constructor` and `prototype` are never valid names.'
          throw new ORPCError('BAD_REQUEST', { message: `Invalid input — ${bad} is a reserved key.`, data: { fix } })
        }
        return o.next()
      },
    ],
  }
}
