import { eventIterator, oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'
import { bounded, boundedRecord, MAX } from './bounds'
import { Job } from './jobs'
import { RepoId, Revision } from './models'

/** One vLLM argument value as the form holds it: a number, a string, a bool (store_true / --no-x) or a list (nargs=+). */
export const ArgValue = z.union([bounded(MAX.argValue), z.number(), z.boolean(), z.array(bounded(MAX.argValue)).max(MAX.entries)])
export type ArgValue = z.infer<typeof ArgValue>

export const RestartPolicy = z.enum(['no', 'on-failure', 'unless-stopped', 'always'])
export type RestartPolicy = z.infer<typeof RestartPolicy>

const FlagName = bounded(MAX.flag).regex(/^--[a-z0-9][a-z0-9-]*(\.[A-Za-z0-9_.+-]+)?$/, 'a long flag such as --max-model-len')
const EnvName = bounded(MAX.flag).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits, _)')

/**
 * vLLM sleep mode for idle unloads (gateway-facts §1): 'auto' parks an idle model in vLLM's sleep (weights to host RAM
 * when it has room, else discarded) instead of stopping the container, and wakes it for the next request. Needs the
 * image's --enable-sleep-mode and vLLM's dev mode, whose admin routes no key guards: only on a loopback-published port.
 */
export const SleepMode = z.enum(['off', 'auto'])
export type SleepMode = z.infer<typeof SleepMode>

/** What the user saves: a deployment exists without a container (config as code). */
export const ServeMode = z.enum(['on-demand', 'always-on', 'off'])
export type ServeMode = z.infer<typeof ServeMode>

/** The KV budget of memory mode auto when the definition leaves it out (the planner's defaults). */
export const MEMORY_DEFAULTS = { contextTokens: 8192, sequences: 4 } as const

export const DeploymentSpec = z.object({
  name: bounded(64)
    .trim()
    .min(1, 'give the deployment a name')
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, space, . _ -'),
  model: z.object({
    repo: RepoId,
    /** Branch, tag or commit of the local snapshot (default main). */
    revision: Revision.default('main'),
  }),
  /** repository:tag, e.g. vllm/vllm-openai:v0.21.0 or a registry/mirror with a port: registry.local:5000/vllm/vllm-openai:v0.21.0 */
  image: bounded(MAX.image)
    .trim()
    .min(1)
    .regex(
      /^(?:[a-z0-9]+(?:[.-][a-z0-9]+)*:\d{1,5}\/)?[a-z0-9]+([._\-/][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
      'an image reference such as vllm/vllm-openai:v0.21.0',
    ),
  /** Follow the newest release of the image's repository (the versions service moves the deployment onto it). */
  alwaysLatest: z.boolean().default(false),
  /** Registry digest of the image the deployment last ran (sha256:…), recorded at each deploy. */
  imageDigest: bounded(71)
    .regex(/^sha256:[0-9a-f]{64}$/, 'a sha256:… image digest')
    .optional(),
  /** GPU UUIDs (GPU-…); empty = no GPU requested. */
  gpus: z
    .array(bounded(MAX.id).regex(/^GPU-[0-9a-fA-F-]+$/, 'a GPU UUID such as GPU-c0ffee00-…'))
    .max(MAX.gpus)
    .default([]),
  /**
   * Leave the GPUs to the memory planner: it picks `count` GPUs by free memory and footprint at each start (tensor
   * parallel size = count). When set, `gpus` is ignored by gateway starts.
   */
  placement: z.object({ gpus: z.literal('any'), count: z.number().int().min(1).max(MAX.gpus) }).optional(),
  /**
   * What the model asks of GPU memory. auto (default when no --gpu-memory-utilization is set): the planner computes
   * this start's utilization from the model's footprint and a KV budget of `contextTokens` × `sequences` (defaults:
   * min(max model len, 8192) × 4, at least one full max-model-len request). fixed: always `utilization` (default
   * when --gpu-memory-utilization is in the arguments, which then wins).
   */
  memory: z
    .object({
      mode: z.enum(['auto', 'fixed']),
      utilization: z.number().gt(0).max(1).optional(),
      contextTokens: z.number().int().min(16).max(10_000_000).optional(),
      sequences: z.number().int().min(1).max(4096).optional(),
    })
    .refine((m) => m.mode !== 'fixed' || m.utilization !== undefined, {
      message: 'mode "fixed" needs a utilization (e.g. 0.45), or use mode "auto"',
      path: ['utilization'],
    })
    .optional(),
  /** Defaults to the number of GPUs. */
  tensorParallelSize: z.number().int().min(1).max(64).optional(),
  /** Host port; absent = a free one chosen at deploy time. */
  hostPort: z.number().int().min(1).max(65535).optional(),
  restartPolicy: RestartPolicy.default('no'),
  /**
   * Share the host's IPC namespace (docker run --ipc=host) instead of a private /dev/shm of Settings.vllmShmSize.
   * Off by default: with it the container sees the host's System V IPC and POSIX shared memory.
   */
  ipcHost: z.boolean().default(false),
  env: boundedRecord(EnvName, bounded(MAX.envValue)).default({}),
  /** vLLM flags by long name ("--max-model-len") → value; checked against the image's own flags. */
  args: boundedRecord(FlagName, ArgValue).default({}),
  /** Free-form expert arguments (shell-like words), checked against the same flags. */
  extraArgs: bounded(4000).default(''),
  /**
   * How the gateway serves it: on-demand (a request starts it, it unloads when idle), always-on (started with the
   * app, never unloaded or evicted), off (not routed; started and stopped by hand).
   */
  serve: ServeMode.default('on-demand'),
  /** Idle unloads sleep instead of stopping (see SleepMode). */
  sleepMode: SleepMode.default('off'),
  /** Minutes without requests before the gateway unloads it; absent = Settings.gatewayIdleMinutes; 0 = never. */
  idleMinutes: z.number().min(0).max(10_080, 'at most a week (10080)').optional(),
  /** More names clients may put in `model` for it (besides its served names, repo id and deployment name). */
  aliases: z
    .array(bounded(MAX.name).regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits and . _ : / - (no spaces)'))
    .max(16)
    .default([]),
})
export type DeploymentSpec = z.infer<typeof DeploymentSpec>
export type DeploymentSpecInput = z.input<typeof DeploymentSpec>

export const DeploymentDefinition = DeploymentSpec.extend({
  id: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type DeploymentDefinition = z.infer<typeof DeploymentDefinition>

export const DeploymentState = z.enum(['stopped', 'creating', 'starting', 'loading', 'ready', 'stopping', 'failed'])
export type DeploymentState = z.infer<typeof DeploymentState>

export const LoadPhase = z.enum(['weights', 'kv-cache', 'graph-capture', 'server-start'])
export type LoadPhase = z.infer<typeof LoadPhase>
export const LOAD_PHASES = LoadPhase.options

/** A one-click change of the definition that addresses a diagnosed failure. */
export const DiagnosisFix = z.object({
  label: z.string(),
  /** Set these args (value) or remove them (null). */
  setArgs: z.record(z.string(), ArgValue.nullable()).default({}),
  /** Remove these words from extra args. */
  removeExtra: z.array(z.string()).default([]),
})
export type DiagnosisFix = z.infer<typeof DiagnosisFix>

export const DiagnosisKind = z.enum([
  'gpu-memory-utilization',
  'kv-cache-too-small',
  'no-kv-cache-memory',
  'cuda-oom',
  'unrecognized-arguments',
  'invalid-argument',
  'gated-model',
  'model-missing-offline',
  'tensor-parallel',
  'gpu-unavailable',
  'port-in-use',
  'exited',
])
export type DiagnosisKind = z.infer<typeof DiagnosisKind>

export const Diagnosis = z.object({
  kind: DiagnosisKind,
  /** One sentence, in words a user understands. */
  reason: z.string(),
  /** vLLM's own line(s) that say so. */
  lines: z.array(z.string()),
  /** What to do, when there is no one-click fix or in addition to it. */
  hint: z.string(),
  fix: DiagnosisFix.optional(),
  exitCode: z.number().int().nullable(),
})
export type Diagnosis = z.infer<typeof Diagnosis>

export const PhaseTiming = z.object({ phase: z.union([LoadPhase, z.literal('starting')]), seconds: z.number() })

export const DeploymentStatus = z.object({
  state: DeploymentState,
  phase: LoadPhase.nullable(),
  /** 0..1 over the expected load (from the previous load's phase timings when known). */
  progress: z.number().nullable(),
  /** Seconds until ready, from the last successful load of this definition; null when unknown. */
  etaSeconds: z.number().nullable(),
  containerId: z.string().nullable(),
  /** Bound host port and the OpenAI base URL when a container exists. */
  hostPort: z.number().int().nullable(),
  endpoint: z.string().nullable(),
  /** The address the port is published on (Docker's HostIp: 0.0.0.0 = every interface, 127.0.0.1 = this machine only). */
  listen: z.string().nullable(),
  /** Where other machines reach the endpoint (none when it is published on loopback only). */
  networkUrls: z.array(z.string()),
  /** When the current state began (ISO). */
  since: z.string(),
  startedAt: z.string().nullable(),
  readyAt: z.string().nullable(),
  /** Phase timings of the current (or last) load. */
  timings: z.array(PhaseTiming),
  diagnosis: Diagnosis.nullable(),
  /** Set after ready when the container's processes are not on the requested GPUs. */
  gpuWarning: z.string().nullable(),
  /** The model commit the container serves. */
  commit: z.string().nullable(),
  /** VRAM the container holds per GPU (MiB), from GPU attribution. */
  vramMiB: z.number().nullable(),
})
export type DeploymentStatus = z.infer<typeof DeploymentStatus>

/** What the planner knows of a deployment's memory (issue #16): learned from its loads, or an estimate. */
export const DeploymentFootprint = z.object({
  /** Weights + activation + non-torch + CUDA graphs per GPU: what a start needs before its KV cache. */
  needsBytesPerGpu: z.number(),
  kvBytesPerToken: z.number().nullable(),
  /** Successful loads it was learned from (0: an estimate, possibly raised after a memory failure). */
  loads: z.number().int(),
  /** Memory failures that raised it. */
  failures: z.number().int(),
  /** The container's memory per GPU after ready (GPU telemetry), the largest seen. */
  measuredBytesPerGpu: z.number().nullable(),
  source: z.enum(['learned', 'estimate']),
})
export type DeploymentFootprint = z.infer<typeof DeploymentFootprint>

export const Deployment = z.object({
  definition: DeploymentDefinition,
  status: DeploymentStatus,
  /** The memory footprint of what it runs (absent or null: nothing known yet). */
  footprint: DeploymentFootprint.nullable().optional(),
})
export type Deployment = z.infer<typeof Deployment>

/** A container with our labels whose definition no longer exists. */
export const OrphanContainer = z.object({
  containerId: z.string(),
  name: z.string(),
  deploymentId: z.string(),
  model: z.string(),
  image: z.string(),
  state: z.string(),
})
export type OrphanContainer = z.infer<typeof OrphanContainer>

export const DeploymentEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), deployments: z.array(Deployment), orphans: z.array(OrphanContainer) }),
  z.object({ type: z.literal('update'), deployment: Deployment }),
  z.object({ type: z.literal('removed'), id: z.string() }),
  z.object({ type: z.literal('orphans'), orphans: z.array(OrphanContainer) }),
])
export type DeploymentEvent = z.infer<typeof DeploymentEvent>

export const LogLine = z.object({ at: z.string().nullable(), stream: z.enum(['stdout', 'stderr']), text: z.string() })
export type LogLine = z.infer<typeof LogLine>

export const LogsResult = z.object({ lines: z.array(LogLine), containerId: z.string().nullable() })

/** One flag of a vLLM image, parsed from its `--help=all` (or the bundled list). */
export const FlagInfo = z.object({
  flag: z.string(),
  aliases: z.array(z.string()),
  type: z.enum(['int', 'float', 'str', 'bool', 'json', 'list']),
  /** store_true flags take no value; BooleanOptionalAction flags have a --no- form. */
  action: z.enum(['value', 'store_true', 'boolean_optional']),
  default: z.unknown(),
  choices: z.array(z.string()).nullable(),
  /** Numeric bounds when known (bundled list). */
  min: z.number().nullable(),
  max: z.number().nullable(),
  minExclusive: z.boolean(),
  group: z.string(),
  help: z.string(),
  deprecated: z.boolean(),
})
export type FlagInfo = z.infer<typeof FlagInfo>

export const FlagCatalogView = z.object({
  image: z.string(),
  /** Image id (content digest) when the image is present locally. */
  digest: z.string().nullable(),
  source: z.enum(['image', 'bundled']),
  /** Why the bundled list is used, when it is. */
  note: z.string().nullable(),
  flags: z.array(FlagInfo),
})
export type FlagCatalogView = z.infer<typeof FlagCatalogView>

export const ArgProblem = z.object({ flag: z.string(), message: z.string(), successor: z.string().nullable() })
export type ArgProblem = z.infer<typeof ArgProblem>

const DeploymentId = bounded(MAX.id).min(1)
const Id = z.object({ id: DeploymentId })
/** An image reference as the flag catalogue takes it (checked further by the service). */
const ImageRef = bounded(MAX.image).min(1)
const tags = ['deployments']

export const deploymentsContract = {
  list: oc
    .route({ method: 'GET', path: '/deployments', summary: 'Deployments with their live status', tags })
    .errors(commonErrors)
    .output(z.array(Deployment)),
  create: oc
    .route({
      method: 'POST',
      path: '/deployments',
      summary: 'Save a new deployment definition (arguments checked against the image)',
      tags,
    })
    .errors(commonErrors)
    .input(DeploymentSpec)
    .output(Deployment),
  get: oc
    .route({ method: 'GET', path: '/deployments/{id}', summary: 'One deployment', tags })
    .errors(commonErrors)
    .input(Id)
    .output(Deployment),
  update: oc
    .route({ method: 'PUT', path: '/deployments/{id}', summary: 'Change a definition (applies at the next start)', tags })
    .errors(commonErrors)
    .input(DeploymentSpec.extend({ id: DeploymentId }))
    .output(Deployment),
  delete: oc
    .route({ method: 'DELETE', path: '/deployments/{id}', summary: 'Stop and remove the container, then delete the definition', tags })
    .errors(commonErrors)
    .input(Id)
    .output(Job),
  start: oc
    .route({ method: 'POST', path: '/deployments/{id}/start', summary: 'Deploy: create and start the container (a job)', tags })
    .errors(commonErrors)
    .input(Id)
    .output(Job),
  stop: oc
    .route({ method: 'POST', path: '/deployments/{id}/stop', summary: 'Stop: SIGTERM, grace period, then kill (a job)', tags })
    .errors(commonErrors)
    .input(Id)
    .output(Job),
  restart: oc
    .route({ method: 'POST', path: '/deployments/{id}/restart', summary: 'Stop then deploy again (a job)', tags })
    .errors(commonErrors)
    .input(Id)
    .output(Job),
  logs: oc
    .route({
      method: 'GET',
      path: '/deployments/{id}/logs',
      summary: 'Container log lines (last `tail`, optionally only lines containing `search`)',
      tags,
    })
    .errors(commonErrors)
    .input(
      z.object({ id: DeploymentId, tail: z.coerce.number().int().min(1).max(100_000).default(1000), search: bounded(MAX.name).optional() }),
    )
    .output(LogsResult),
  /** Apply the one-click fix of the current diagnosis to the definition (then start it again). */
  applyFix: oc
    .errors(commonErrors)
    .input(z.object({ id: DeploymentId, start: z.boolean().default(true) }))
    .output(Deployment),
  exportYaml: oc
    .errors(commonErrors)
    .input(Id)
    .output(z.object({ yaml: z.string(), fileName: z.string() })),
  importYaml: oc
    .errors(commonErrors)
    .input(z.object({ yaml: bounded(200_000).min(1) }))
    .output(Deployment),
  removeOrphan: oc
    .errors(commonErrors)
    .input(z.object({ containerId: bounded(MAX.id).min(1) }))
    .output(z.object({ removed: z.boolean() })),
  /** The image's flags (from its --help=all, cached per digest; bundled list as a fallback). */
  flags: oc
    .errors(commonErrors)
    .input(z.object({ image: ImageRef }))
    .output(FlagCatalogView),
  /** Check arguments against an image's flags without saving anything. */
  validateArgs: oc
    .errors(commonErrors)
    .input(z.object({ image: ImageRef, args: DeploymentSpec.shape.args, extraArgs: DeploymentSpec.shape.extraArgs }))
    .output(z.object({ problems: z.array(ArgProblem), source: z.enum(['image', 'bundled']) })),
  /** "Try it": a streamed chat completion from a ready deployment, relayed by the backend (no CORS/CSP issues). */
  chat: oc
    .errors(commonErrors)
    .input(
      z.object({
        id: DeploymentId,
        messages: z
          .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: bounded(20_000) }))
          .min(1)
          .max(50),
        maxTokens: z.number().int().min(1).max(4096).default(256),
      }),
    )
    .output(eventIterator(z.object({ delta: z.string() }))),
  /** Snapshot, then every status change. */
  watch: oc.errors(commonErrors).output(eventIterator(DeploymentEvent)),
  /** The last `tail` lines, then new lines as they are written (until the container stops). */
  followLogs: oc
    .errors(commonErrors)
    .input(z.object({ id: DeploymentId, tail: z.number().int().min(0).max(10_000).default(500) }))
    .output(eventIterator(LogLine)),
}
