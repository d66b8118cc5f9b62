import { eventIterator, oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'
import { bounded } from './bounds'
import { Job } from './jobs'

/** An image tag such as main, v0.6.34 or cuda. */
export const WebuiTag = bounded(128)
  .trim()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'an image tag such as main or v0.6.34')

export const WebuiState = z.enum([
  /** No container (the data volume may still exist). */
  'absent',
  'creating',
  /** Running, health check not passed yet. */
  'starting',
  'healthy',
  'unhealthy',
  'stopping',
  'stopped',
  /** Exited on its own or could not start. */
  'failed',
  /** Docker did not answer: nothing is known. */
  'docker-unreachable',
])
export type WebuiState = z.infer<typeof WebuiState>

/** One OpenAI connection: a ready deployment as Open WebUI reaches it from its container. */
export const WebuiConnection = z.object({
  deploymentId: z.string(),
  name: z.string(),
  /** http://host.docker.internal:<port>/v1 */
  baseUrl: z.string(),
})
export type WebuiConnection = z.infer<typeof WebuiConnection>

export const WebuiSync = z.object({
  /** in-sync: Open WebUI holds exactly `connections`; failed: it does not and `fix` says the one step to take. */
  state: z.enum(['in-sync', 'syncing', 'failed', 'not-running']),
  at: z.string().nullable(),
  message: z.string().nullable(),
  fix: z.string().nullable(),
  /** The base URLs Open WebUI reported at the last successful read or update. */
  applied: z.array(z.string()),
})
export type WebuiSync = z.infer<typeof WebuiSync>

export const WebuiStatus = z.object({
  state: WebuiState,
  /** repository:tag of the container, or of the next deploy. */
  image: z.string(),
  tag: z.string(),
  /** Host port (of the container, or the configured one). */
  port: z.number().int(),
  /** Where a browser opens it; null without a running container. */
  url: z.string().nullable(),
  containerId: z.string().nullable(),
  /** Docker's health status (starting/healthy/unhealthy) when the container has one. */
  health: z.string().nullable(),
  volume: z.object({ name: z.string(), exists: z.boolean() }),
  /** The ready deployments Open WebUI should list (what we want it to hold). */
  connections: z.array(WebuiConnection),
  sync: WebuiSync,
  /** Something that will keep Open WebUI from reaching the models, with its fix (e.g. a loopback listen interface). */
  warning: z.object({ message: z.string(), fix: z.string() }).nullable(),
  /** Why the state is failed or docker-unreachable. */
  error: z.object({ message: z.string(), fix: z.string() }).nullable(),
  /** The running webui job, if any. */
  job: Job.nullable(),
})
export type WebuiStatus = z.infer<typeof WebuiStatus>

export const WebuiDeployInput = z.object({
  /** Host port (default: Settings.webuiPort). */
  port: z.coerce.number().int().min(1).max(65535).optional(),
  /** Image tag (default: the deployed one, else main). */
  tag: WebuiTag.optional(),
})
export type WebuiDeployInput = z.infer<typeof WebuiDeployInput>

/**
 * local@domain.tld. Written so that no input makes it backtrack: the local part stops at the one "@", and
 * the domain is dot-free labels joined by single dots (the old `[^@\s]+\.[^@\s]+` let every dot be tried as
 * the separator: quadratic, 7 s of blocked event loop for 100 KB). 254 characters is the SMTP limit.
 */
export const EMAIL_PATTERN = /^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$/

const PASSWORD_LIMIT = 'at most 72 bytes (Open WebUI’s limit)'

export const WebuiAccountInput = z.object({
  name: bounded(100).trim().min(1, 'enter a name'),
  email: bounded(254).trim().toLowerCase().regex(EMAIL_PATTERN, 'an email address such as you@example.com'),
  // Open WebUI hashes with bcrypt, which takes at most 72 bytes (so at most 72 characters).
  password: bounded(72, PASSWORD_LIMIT)
    .min(8, 'at least 8 characters')
    .refine((p) => new TextEncoder().encode(p).length <= 72, PASSWORD_LIMIT),
  /** Explicit `admin` for an administrator; a new account is an ordinary user unless asked. */
  role: z.enum(['admin', 'user']).default('user'),
})
export type WebuiAccountInput = z.infer<typeof WebuiAccountInput>

/** `true`/`false` in a query string, or a JSON boolean. */
const QueryBool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])

const tags = ['webui']

export const webuiContract = {
  get: oc
    .route({ method: 'GET', path: '/webui', summary: 'Open WebUI: state, URL, connections, sync', tags })
    .errors(commonErrors)
    .output(WebuiStatus),
  deploy: oc
    .route({
      method: 'POST',
      path: '/webui',
      summary: 'Deploy Open WebUI wired to the ready deployments (a job); port in use → 409 naming it',
      tags,
    })
    .errors(commonErrors)
    .input(WebuiDeployInput)
    .output(Job),
  start: oc
    .route({ method: 'POST', path: '/webui/start', summary: 'Start the stopped container (a job)', tags })
    .errors(commonErrors)
    .output(Job),
  stop: oc.route({ method: 'POST', path: '/webui/stop', summary: 'Stop the container (a job)', tags }).errors(commonErrors).output(Job),
  update: oc
    .route({ method: 'POST', path: '/webui/update', summary: 'Recreate on another image tag, keeping the data volume (a job)', tags })
    .errors(commonErrors)
    .input(z.object({ tag: WebuiTag }))
    .output(Job),
  delete: oc
    // detailed: a DELETE's input comes from the query string (?data=true|false), not a body.
    .route({
      method: 'DELETE',
      path: '/webui',
      inputStructure: 'detailed',
      summary: 'Remove the container; with ?data=true also the data volume (a job)',
      tags,
    })
    .errors(commonErrors)
    .input(z.object({ query: z.object({ data: QueryBool.default(false) }).default({ data: false }) }))
    .output(Job),
  /** Size of the data volume, for the delete confirmation. */
  dataSize: oc
    .route({ method: 'GET', path: '/webui/data', summary: 'The data volume and its size', tags })
    .errors(commonErrors)
    .output(z.object({ volume: z.string(), exists: z.boolean(), sizeBytes: z.number().nullable() })),
  /** An Open WebUI account for the owner (sign-up closes after InferAdmin's own admin account). */
  createAccount: oc
    .route({ method: 'POST', path: '/webui/accounts', summary: 'Create an Open WebUI account (role: user unless admin is sent)', tags })
    .errors(commonErrors)
    .input(WebuiAccountInput)
    .output(z.object({ email: z.string(), role: z.string() })),
  sync: oc
    .route({ method: 'POST', path: '/webui/sync', summary: 'Write the ready deployments into Open WebUI now', tags })
    .errors(commonErrors)
    .output(WebuiStatus),
  watch: oc.errors(commonErrors).output(eventIterator(WebuiStatus)),
}
