/**
 * The planner's first guess for a model nothing was learned of: estimateFootprint over the snapshot's config.json
 * and its *.safetensors sizes in the local Hugging Face store (models--org--name/snapshots/<commit>/).
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { DeploymentDefinition } from '../../../shared/contract/deployments'
import type { LocalModel } from '../../../shared/contract/models'
import { estimateFootprint } from './estimate'
import { splitWords } from '../engine/flags-service'
import { startKeyFor } from './learning'
import { argValue } from './need'

export interface ModelEstimate {
  commit: string
  fixedBytesPerGpu: number
  kvBytesPerToken: number
  /** config.json's max_position_embeddings (the text model's), null when absent. */
  maxPositionEmbeddings: number | null
}

export type EstimateSource = (def: DeploymentDefinition, o: { tp: number }) => Promise<ModelEstimate>

const num = (v: string | null): number | undefined => (v === null || !Number.isFinite(Number(v)) ? undefined : Number(v))

/** Reads the snapshot of `def.model` from the store `list()` describes and estimates its footprint per GPU. */
export function storeEstimates(models: { list(): Promise<LocalModel[]> }): EstimateSource {
  return async (def, { tp }) => {
    const m = (await models.list()).find((x) => x.repo === def.model.repo)
    const rev = m?.revisions.find((r) => r.commit === def.model.revision || r.refs.includes(def.model.revision))
    if (!m || !rev) throw new Error(`${def.model.repo} at ${def.model.revision} is not in the model store`)
    const dir = join(m.location, `models--${def.model.repo.split('/').join('--')}`, 'snapshots', rev.commit)
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>
    const sizes = await Promise.all(
      (await readdir(dir)).filter((f) => f.endsWith('.safetensors')).map(async (f) => (await stat(join(dir, f))).size),
    )
    const e = estimateFootprint({
      checkpointBytes: sizes.reduce((a, b) => a + b, 0),
      config,
      tp,
      pp: num(argValue(def, '--pipeline-parallel-size')),
      dtype: argValue(def, '--dtype') ?? undefined,
      kvCacheDtype: argValue(def, '--kv-cache-dtype') ?? undefined,
      enforceEager: argValue(def, '--enforce-eager') !== null,
      maxNumBatchedTokens: num(argValue(def, '--max-num-batched-tokens')),
      maxNumSeqs: num(argValue(def, '--max-num-seqs')),
    })
    const text = (['text_config', 'llm_config', 'language_config'].map((k) => config[k]).find((c) => c && typeof c === 'object') ??
      config) as Record<string, unknown>
    const maxPos = text.max_position_embeddings ?? config.max_position_embeddings
    return {
      commit: rev.commit,
      fixedBytesPerGpu: e.fixedBytes,
      kvBytesPerToken: e.kvBytesPerToken,
      maxPositionEmbeddings: typeof maxPos === 'number' && maxPos > 0 ? maxPos : null,
    }
  }
}

/** The footprint key of a deployment's start on GPUs with these names (fingerprint.ts); null when the commit is unknown. */
export function deploymentFingerprint(models: { list(): Promise<LocalModel[]> }) {
  return async (d: { definition: DeploymentDefinition; status: { commit: string | null } }, gpuNames: string[]): Promise<string | null> => {
    const def = d.definition
    let commit = d.status.commit
    if (!commit) {
      const m = (await models.list()).find((x) => x.repo === def.model.repo)
      commit = m?.revisions.find((r) => r.commit === def.model.revision || r.refs.includes(def.model.revision))?.commit ?? null
    }
    let argv: string[] = []
    try {
      argv = splitWords(def.extraArgs)
    } catch {
      /* unbalanced quotes: the deploy refuses it anyway */
    }
    const start = {
      image: def.image,
      imageDigest: def.imageDigest,
      gpus: [],
      tensorParallelSize: def.tensorParallelSize,
      args: def.args,
      argv,
    }
    return startKeyFor(start, commit, gpuNames)
  }
}
