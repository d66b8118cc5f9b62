import { eventIterator, oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'
import { bounded, MAX } from './bounds'

const tags = ['gateway']

export const GatewayModelState = z.enum(['loaded', 'loading', 'sleeping', 'cold', 'failed'])

export const GatewayModel = z.object({
  id: z.string(),
  /** The first served name (what clients usually put in `model`). */
  name: z.string(),
  /** Every name it answers to: served names, aliases, repo id, deployment name. */
  names: z.array(z.string()),
  serve: z.enum(['on-demand', 'always-on', 'off']),
  state: GatewayModelState,
  inFlight: z.number().int(),
  held: z.number().int(),
  lastUsed: z.string().nullable(),
  /** When it unloads if no request comes (ISO), null when not scheduled. */
  unloadAt: z.string().nullable(),
  phase: z.string().nullable(),
  progress: z.number().nullable(),
  etaSeconds: z.number().nullable(),
})

export const GatewayKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  /** The first characters, to recognise it: the key itself is shown once, at creation. */
  prefix: z.string(),
  created: z.string(),
  requestsPerMinute: z.number().int().nullable(),
})

export const GatewayStatus = z.object({
  enabled: z.boolean(),
  running: z.boolean(),
  /** The OpenAI base URL (ends in /v1), null while not listening. */
  url: z.string().nullable(),
  port: z.number().int(),
  host: z.string(),
  /** Why it is not listening (e.g. the port is in use), with the fix. */
  error: z.object({ code: z.string(), message: z.string(), fix: z.string() }).nullable(),
  /** Requests from this machine need a key too (other machines always do). */
  keysRequiredOnLoopback: z.boolean(),
  models: z.array(GatewayModel),
  keys: z.array(GatewayKeyInfo),
  keysError: z.string().nullable(),
})
export type GatewayStatus = z.infer<typeof GatewayStatus>

export const GatewayLogEntry = z.object({
  time: z.number(),
  method: z.string(),
  path: z.string(),
  model: z.string().nullable(),
  backend: z.string().nullable(),
  key: z.string().nullable(),
  status: z.number().int(),
  latencyMs: z.number(),
  ttftMs: z.number().nullable(),
  tokensIn: z.number().nullable(),
  tokensOut: z.number().nullable(),
  coldStart: z.boolean(),
  heldMs: z.number().nullable(),
  error: z.string().optional(),
})
export type GatewayLogEntry = z.infer<typeof GatewayLogEntry>

const ModelName = z.object({ name: bounded(MAX.name).min(1) })

export const gatewayContract = {
  get: oc
    .route({ method: 'GET', path: '/gateway', summary: 'The gateway: URL, whether keys are needed, keys, per model state', tags })
    .errors(commonErrors)
    .output(GatewayStatus),
  load: oc
    .route({ method: 'POST', path: '/gateway/models/{name}/load', summary: 'Start a model through the gateway', tags })
    .errors(commonErrors)
    .input(ModelName)
    .output(z.object({ ok: z.literal(true) })),
  unload: oc
    .route({ method: 'POST', path: '/gateway/models/{name}/unload', summary: 'Stop a model (requests in flight end)', tags })
    .errors(commonErrors)
    .input(ModelName)
    .output(z.object({ ok: z.literal(true) })),
  createKey: oc
    .route({ method: 'POST', path: '/gateway/keys', summary: 'Create an API key: shown this once, stored hashed', tags })
    .errors(commonErrors)
    .input(
      z.object({
        name: bounded(100).trim().min(1, 'give the key a name'),
        requestsPerMinute: z.number().int().min(1).max(1_000_000).nullable().optional(),
      }),
    )
    .output(z.object({ key: z.string(), info: GatewayKeyInfo })),
  revokeKey: oc
    .route({ method: 'DELETE', path: '/gateway/keys/{id}', summary: 'Revoke an API key (refused at once)', tags })
    .errors(commonErrors)
    .input(z.object({ id: bounded(MAX.id).min(1) }))
    .output(z.object({ ok: z.literal(true) })),
  log: oc
    .route({
      method: 'GET',
      path: '/gateway/log',
      summary: 'The last requests (no bodies): time, model, key, status, latency, TTFT, tokens',
      tags,
    })
    .errors(commonErrors)
    .input(z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }))
    .output(z.array(GatewayLogEntry)),
  /** The status now, then after each change (coalesced). */
  watch: oc.errors(commonErrors).output(eventIterator(GatewayStatus)),
}
