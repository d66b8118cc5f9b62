import { z } from 'zod'
import { bounded, MAX } from './contract/bounds'

/** "/a/./b/../c/" → "/a/c" (POSIX, lexical; the renderer has no node:path). */
function normalizeAbsolute(path: string): string {
  const out: string[] = []
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') out.pop()
    else out.push(seg)
  }
  return `/${out.join('/')}`
}

/** Folders that must never be a store location (it is bind-mounted into every vLLM container). */
const SYSTEM_DIRS = new Set(
  ['/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/media', '/mnt', '/opt', '/proc', '/root']
    .concat(['/run', '/sbin', '/snap', '/srv', '/sys', '/tmp', '/usr', '/usr/local', '/usr/share', '/var', '/var/cache', '/var/lib'])
    .concat(['/var/home', '/var/lib/docker', '/var/log', '/var/run', '/var/tmp']),
)
/** …nor anything inside these (kernel, devices, boot, system configuration and programs, Docker's own data). */
const SYSTEM_TREES = ['/proc', '/sys', '/dev', '/boot', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'].concat([
  '/usr/bin',
  '/usr/sbin',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/include',
  '/var/lib/docker',
])

/**
 * Why `path` cannot be a model store location, or undefined when it can. Refused: the root, system
 * folders (and the insides of the kernel, device, boot, configuration and program folders), and
 * home folders themselves (`~`, /root, /home/<user>, and `home` when given).
 */
export function storeLocationProblem(path: string, home?: string): string | undefined {
  const expanded = /^~(\/|$)/.test(path) ? (home ? home + path.slice(1) : undefined) : path
  if (expanded === undefined) return path.replace(/\/+$/, '') === '~' ? homeProblem(path) : undefined
  if (!expanded.startsWith('/')) return undefined
  const p = normalizeAbsolute(expanded)
  const use = 'it is mounted into every vLLM container, so pick a folder of its own, e.g. ~/.cache/huggingface/hub or /data/models'
  if (p === '/') return `${path} is the root of the file system; ${use}`
  if (home && p === normalizeAbsolute(home)) return homeProblem(path)
  if (/^\/(home|var\/home)\/[^/]+$/.test(p) || p === '/root') return homeProblem(path)
  if (SYSTEM_DIRS.has(p)) return `${path} is ${p === path ? 'a system folder' : `the system folder ${p}`}; ${use}`
  const tree = SYSTEM_TREES.find((t) => p.startsWith(`${t}/`))
  if (tree) return `${path} is inside the system folder ${tree}; ${use}`
  return undefined
}

function homeProblem(path: string): string {
  const use = 'it is mounted into every vLLM container, so pick a folder of its own inside it, e.g. ~/.cache/huggingface/hub'
  return `${path} is a home folder itself; ${use}`
}

/** One model store location: a Hugging Face hub cache directory. */
export const StoreLocation = z
  .object({
    path: bounded(MAX.path)
      .min(1, 'path must not be empty')
      .refine((p) => p.startsWith('/') || p.startsWith('~'), {
        message: 'use an absolute path (starting with / or ~)',
      })
      .superRefine((p, ctx) => {
        const problem = storeLocationProblem(p)
        if (problem) ctx.addIssue({ code: 'custom', message: problem })
      }),
    label: bounded(60).default(''),
  })
  .strict()
export type StoreLocation = z.infer<typeof StoreLocation>

const hostname = bounded(253)
  .min(1)
  .regex(/^[A-Za-z0-9.:\-[\]]+$/, 'must be an IP address or host name, e.g. 0.0.0.0 or 127.0.0.1')

/** Docker's size syntax (go-units RAMInBytes): a number, an optional binary unit k/m/g/t, an optional b. */
const SHM_SIZE = /^(\d{1,7}(?:\.\d{1,3})?) ?([kmgt])?i?b?$/i

/** Bytes of a Docker size such as "10.24g" (units are powers of 1024, as docker run --shm-size reads them). */
export function sizeBytes(s: string): number {
  const m = SHM_SIZE.exec(s.trim())
  if (!m) return Number.NaN
  const unit = (m[2] ?? '').toLowerCase()
  return Math.floor(Number(m[1]) * 1024 ** (unit ? 'kmgt'.indexOf(unit) + 1 : 0))
}

/** Persisted settings (everything but secrets). Unknown fields are rejected, never dropped silently. */
export const SettingsFields = z
  .object({
    modelStores: z.array(StoreLocation).min(1, 'at least one model store location is needed').max(32, 'at most 32 model store locations'),
    /** Index into modelStores for new downloads. */
    defaultStore: z.number().int().min(0),
    /** Interface user-facing endpoints (vLLM, Open WebUI, gateway) bind to. */
    listenInterface: hostname,
    /** Interface of the management API in headless mode; loopback unless the user opts out. */
    apiHost: hostname,
    gpuRefreshMs: z.number().int().min(250, 'at least 250 ms').max(60_000, 'at most 60000 ms'),
    containerRefreshMs: z.number().int().min(1000, 'at least 1000 ms').max(600_000, 'at most 600000 ms'),
    /** Worker threads for CPU work (hashing, parsing). 0 = automatic (cores - 1). */
    cpuPoolSize: z.number().int().min(0).max(64),
    /** Parallel I/O operations (file transfers, Docker calls). */
    ioConcurrency: z.number().int().min(1).max(64),
    /** Docker endpoint: empty = DOCKER_HOST or /var/run/docker.sock; unix:///path or tcp://host:port. */
    dockerSocket: bounded(MAX.path).refine((s) => s === '' || /^(unix|tcp|npipe):\/\//.test(s) || s.startsWith('/'), {
      message: 'use unix:///path/docker.sock, tcp://host:port or leave empty',
    }),
    vllmImageRepository: bounded(255)
      .min(1)
      .regex(/^[a-z0-9]+([._\-/:][a-z0-9]+)*$/, 'must be an image repository such as vllm/vllm-openai'),
    /** Open WebUI image repository (the tag is chosen at deploy/update). */
    webuiImage: bounded(255)
      .min(1)
      .regex(/^[a-z0-9]+([._\-/:][a-z0-9]+)*$/, 'must be an image repository such as ghcr.io/open-webui/open-webui'),
    /** Host port Open WebUI is published on (on listenInterface). */
    webuiPort: z.number().int().min(1, 'a port from 1 to 65535').max(65535, 'a port from 1 to 65535'),
    /** Local time "HH:MM" of the nightly vLLM tag-list refresh. */
    tagRefreshTime: bounded(5).regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use a 24-hour time such as 03:00'),
    /**
     * Shared memory of each vLLM container (Docker's --shm-size syntax). vLLM's Docker docs: "use either
     * --ipc=host or --shm-size" (PyTorch shares tensors between processes through /dev/shm; Docker's default
     * 64 MB is too small for tensor parallel — vllm-facts §2). Default 10.24g: what vLLM's own
     * examples/online_serving/run_cluster.sh gives its containers (`--shm-size 10.24g`). A deployment may opt
     * into the host's IPC namespace instead (DeploymentSpec.ipcHost).
     */
    vllmShmSize: bounded(32)
      .regex(SHM_SIZE, 'a size such as 10.24g, 16g or 512m (as docker run --shm-size takes it)')
      .refine((s) => sizeBytes(s) >= 64 * 2 ** 20 && sizeBytes(s) <= 2 ** 40, { message: "from 64m (Docker's default) to 1024g" }),
    /** Hugging Face endpoint; empty = HF_ENDPOINT or https://huggingface.co. */
    hubEndpoint: bounded(MAX.url).refine((s) => s === '' || /^https?:\/\/[^\s]+$/.test(s), {
      message: 'must be an http(s) URL or empty',
    }),
    theme: z.enum(['system', 'light', 'dark']),
    /** The OpenAI-compatible gateway: one endpoint for every model, on listenInterface. */
    gatewayEnabled: z.boolean(),
    /** Its port; 0 = a free port chosen at each start (tests). */
    gatewayPort: z.number().int().min(0, 'a port from 1 to 65535 (0: any free port)').max(65535, 'a port from 1 to 65535'),
    /** Minutes without requests before an on-demand model is unloaded (a deployment may say otherwise); 0 = never. */
    gatewayIdleMinutes: z.number().min(0).max(10_080, 'at most a week (10080)'),
    /** How long a request waits for its model to load before a 503 with Retry-After (big models take minutes). */
    gatewayMaxWaitMinutes: z.number().int().min(1, 'at least 1 minute').max(120, 'at most 120 minutes'),
    /** Requests held per model while it loads; more get 429 with Retry-After. */
    gatewayQueueLimit: z.number().int().min(1).max(10_000),
    /** Streaming clients see the load's phase and ETA while they wait (never in the completion text). */
    gatewayLoadProgress: z.boolean(),
    /** Requests from this machine need a key too (off: loopback goes without; other machines always need one). */
    gatewayKeyOnLoopback: z.boolean(),
    /** Notifications (desktop, and toasts in the web UI), one toggle per kind: downloads finished or failed. */
    notifyDownloads: z.boolean(),
    /** A model became ready, or failed to start (with the diagnosis in one line). */
    notifyModelStart: z.boolean(),
    /** A running model crashed or ran out of GPU memory. */
    notifyModelCrash: z.boolean(),
    /** A model was unloaded or stopped (off by default: on-demand models unload all the time). */
    notifyModelUnload: z.boolean(),
    /** A new vLLM release was found by the tag-list refresh. */
    notifyVllmRelease: z.boolean(),
    /** Open WebUI became ready. */
    notifyWebuiReady: z.boolean(),
    /** Desktop app only: start at login (XDG autostart). Stored here, applied by the Electron shell. */
    autostart: z.boolean(),
    /** Desktop app only: start with the window hidden (tray only). Stored here, applied by the Electron shell. */
    startMinimised: z.boolean(),
  })
  .strict()

export function checkDefaultStore(s: { defaultStore: number; modelStores: unknown[] }): string | undefined {
  return s.defaultStore >= s.modelStores.length ? 'must point at one of the model store locations' : undefined
}

export const Settings = SettingsFields.superRefine((s, ctx) => {
  const problem = checkDefaultStore(s)
  if (problem) ctx.addIssue({ code: 'custom', path: ['defaultStore'], message: problem })
})
export type Settings = z.infer<typeof Settings>

/** What clients see: settings plus whether secrets are set. Secret values never leave the backend. */
export const SettingsView = z.object({
  settings: Settings,
  /**
   * Whether the Hub in use has a Hugging Face token. Tokens are kept per Hub (hfTokenHubs): after a change of
   * hubEndpoint this is false until the token for the new Hub is entered.
   */
  hfToken: z.object({ set: z.boolean() }),
  /** `hub`: the origin of the Hub in use (the token above is its own); `otherHubs`: origins that hold a token of their own. */
  hfTokenHubs: z.object({ hub: z.string(), otherHubs: z.array(z.string()) }),
  /** Problems found when loading the settings file (the file was backed up and defaults used). */
  loadProblems: z.array(z.object({ field: z.string(), message: z.string() })),
  /** Where settings live, for the user's information. */
  configPath: z.string(),
})
export type SettingsView = z.infer<typeof SettingsView>

/** A partial update. `hfToken` (for the Hub in use after this update): a string sets it, null clears it, absent leaves it. */
export const SettingsUpdate = SettingsFields.partial()
  .extend({
    hfToken: bounded(256)
      .trim()
      .regex(/^hf_[A-Za-z0-9]{6,}$/, 'a Hugging Face token starts with hf_ followed by letters and digits')
      .nullable()
      .optional(),
  })
  .strict()
export type SettingsUpdate = z.infer<typeof SettingsUpdate>
