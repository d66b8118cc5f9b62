// @ts-check
/**
 * The virtual workstation's deployments and model store, as the planner reads them (createPlanner's `deployments`,
 * `models` and `footprints`): one deployment per model ("any 1 GPU", auto memory, --max-model-len), a Hugging Face
 * store in a temporary directory (config.json + a sparse *.safetensors of the weights' size, so storeEstimates
 * reads a real snapshot), and footprints learned as if each model had been loaded once before (the footprint store
 * survives restarts): fixed bytes = weights + activation + non-torch + graphs by the simulated vLLM's arithmetic,
 * KV bytes per token from the shape, load seconds the simulated timeline's.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GiB } from '../../test/sim/vllm/memory.js'
import { planModel } from './plan-model.js'

/** Each model's snapshot commit (the footprint key starts from it). @param {string} id */
const commitOf = (id) => createHash('sha1').update(id).digest('hex')
const repo = (/** @type {string} */ id) => `bench/${id}`

/**
 * @param {import('./workstation.js').WsModel} m @param {number} totalBytes
 * @returns {{ fixedBytesPerGpu: number, kvBytesPerToken: number, weightBytes: number, graphBytes: number }}
 */
export function trueFootprint(m, totalBytes) {
  const p = planModel(m, { requestedBytes: totalBytes, maxModelLen: m.maxModelLen })
  return {
    fixedBytesPerGpu: p.allocatedBytes - p.kvBytes,
    kvBytesPerToken: p.bytesPerToken,
    weightBytes: p.weightBytes,
    graphBytes: p.graphBytes,
  }
}

/** A model store on disk for storeEstimates / deploymentFingerprint. @param {import('./workstation.js').WsModel[]} models */
export function benchStore(models) {
  const location = mkdtempSync(join(tmpdir(), 'inferadmin-bench-store-'))
  for (const m of models) {
    const dir = join(location, `models--${repo(m.id).split('/').join('--')}`, 'snapshots', commitOf(m.id))
    mkdirSync(dir, { recursive: true })
    const config = {
      architectures: ['Qwen2ForCausalLM'],
      hidden_size: m.hidden,
      num_hidden_layers: m.layers,
      num_attention_heads: Math.max(m.kv, Math.round(m.hidden / m.dim)),
      num_key_value_heads: m.kv,
      head_dim: m.dim,
      max_position_embeddings: m.maxModelLen,
      torch_dtype: 'bfloat16',
    }
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
    writeFileSync(join(dir, 'model.safetensors'), '')
    truncateSync(join(dir, 'model.safetensors'), Math.round(m.w * GiB)) // sparse: no disk used
  }
  const list = models.map((m) => ({
    repo: repo(m.id),
    location,
    sizeOnDisk: 0,
    incompleteBytes: 0,
    revisions: [{ commit: commitOf(m.id), refs: ['main'], files: 2, sizeBytes: 0, inUseBy: [m.id] }],
    namedBy: [m.id],
  }))
  return { models: { list: async () => list }, remove: () => rmSync(location, { recursive: true, force: true }) }
}

/**
 * The deployments the planner reads, following the workstation's runs; with start, stop and waitStopped also the
 * DeploymentService face the app's deploymentBackends (gateway/deployment-backends.ts) drives. `sleepMode` 'auto':
 * every deployment opts in to vLLM sleep mode (the workstation must run its servers with `sleepMode`).
 * @param {import('./workstation.js').Workstation} ws @param {{ sleepMode?: 'off' | 'auto' }} [o]
 */
export function wsDeployments(ws, o = {}) {
  const def = (/** @type {import('./workstation.js').WsModel} */ m) => ({
    id: m.id,
    name: m.id,
    model: { repo: repo(m.id), revision: 'main' },
    image: 'vllm/vllm-openai:v0.21.0',
    alwaysLatest: false,
    gpus: [],
    placement: { gpus: /** @type {const} */ ('any'), count: 1 },
    ...(m.sequences ? { memory: { mode: /** @type {const} */ ('auto'), sequences: m.sequences } } : {}),
    restartPolicy: /** @type {const} */ ('no'),
    ipcHost: false,
    env: {},
    args: { '--max-model-len': m.maxModelLen, '--served-model-name': m.id },
    extraArgs: '',
    serve: /** @type {const} */ (m.alwaysOn ? 'always-on' : 'on-demand'),
    sleepMode: /** @type {'off' | 'auto'} */ (o.sleepMode ?? 'off'),
    aliases: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  })
  const defs = new Map([...ws.models.values()].map((m) => [m.id, def(m)]))
  const list = () =>
    [...ws.runs].map(([id, r]) => ({
      definition: /** @type {ReturnType<typeof def>} */ (defs.get(id)),
      status: {
        state: r.state === 'sleeping' ? 'ready' : r.state,
        phase: null,
        progress: null,
        etaSeconds: null,
        containerId: r.state === 'stopped' ? null : `c-${id}`,
        hostPort: null,
        endpoint: r.endpoint,
        listen: null,
        networkUrls: [],
        since: r.since,
        startedAt: null,
        readyAt: r.readyAt,
        timings: [],
        diagnosis: null,
        gpuWarning: null,
        commit: commitOf(id),
        vramMiB: r.heldBytes ? Math.round(r.heldBytes / 1024 ** 2) : null,
      },
      footprint: null,
    }))
  const get = (/** @type {string} */ id) => /** @type {ReturnType<typeof list>[number]} */ (list().find((d) => d.definition.id === id))
  const settled = (/** @type {string} */ id) => ['stopped', 'failed'].includes(/** @type {any} */ (ws.runs.get(id)).state)
  return {
    list,
    get,
    onEvent: (/** @type {() => void} */ fn) => ws.onChange(fn),
    /** The deployment service's start job (the workstation ignores a start of an active model). */
    start: (/** @type {string} */ id, /** @type {{ gpus?: string[], args?: Record<string, unknown> } | undefined} */ override) =>
      ws.start(id, override),
    /** The stop job: returns at once, waitStopped follows it. */
    stop: (/** @type {string} */ id) => void ws.stop(id, 'manual'),
    waitStopped: (/** @type {string} */ id) =>
      new Promise((resolve) => {
        if (settled(id)) return resolve(get(id))
        const sub = ws.onChange(() => settled(id) && (sub.dispose(), resolve(get(id))))
      }),
  }
}
