import { primaryName, publicState, type GatewayBackend, type PublicModelState } from './backends'
import type { GatewayError } from './openai-error'

/** How a route carries `model`. */
export type BodyKind = 'json' | 'multipart'

/**
 * Every vLLM route that names its model in the body (gateway-facts.md §3), POST only. The unauthenticated vLLM
 * forms (/pooling, /score, …) go through the gateway's own keys like the rest.
 */
export const MODEL_ROUTES: ReadonlyMap<string, BodyKind> = new Map<string, BodyKind>([
  ...[
    '/v1/chat/completions',
    '/v1/chat/completions/batch',
    '/v1/chat/completions/render',
    '/v1/completions',
    '/v1/completions/render',
    '/v1/responses',
    '/v1/messages',
    '/v1/messages/count_tokens',
    '/v1/embeddings',
    '/v2/embed',
    '/pooling',
    '/classify',
    '/score',
    '/v1/score',
    '/rerank',
    '/v1/rerank',
    '/v2/rerank',
    '/tokenize',
    '/detokenize',
    '/generative_scoring',
    '/inference/v1/generate',
  ].map((p) => [p, 'json'] as [string, BodyKind]),
  ['/v1/audio/transcriptions', 'multipart'],
  ['/v1/audio/translations', 'multipart'],
])

/** Routes where a held streaming request may get load progress as `reasoning_content` chunks (as llama-swap does). */
export const CHAT_ROUTES = new Set(['/v1/chat/completions'])

export type Resolution = { ok: true; backend: GatewayBackend; name: string } | { ok: false; error: GatewayError }

type Level = (b: GatewayBackend) => readonly string[]
const LEVELS: readonly [string, Level][] = [
  ['served name or alias', (b) => [...b.servedNames, ...(b.aliases ?? [])]],
  ['repository id', (b) => (b.repoId ? [b.repoId] : [])],
  ['deployment name', (b) => (b.deploymentName ? [b.deploymentName] : [])],
]

const MAX_LISTED = 40

/** The names to offer in an error: each routable backend's first served name, sorted. */
export function availableNames(backends: readonly GatewayBackend[]): string[] {
  return [...new Set(backends.filter((b) => b.serve !== 'off').map(primaryName))].sort()
}

function listText(names: string[]): string {
  if (names.length === 0) return 'none (no deployment is set to serve through the gateway)'
  const shown = names.slice(0, MAX_LISTED).join(', ')
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more (GET /v1/models lists all)` : shown
}

export function modelNotFound(name: string, backends: readonly GatewayBackend[]): GatewayError {
  return {
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
    message: `The model \`${name}\` does not exist. Available models: ${listText(availableNames(backends))}.`,
  }
}

/**
 * The backend a request's `model` names. Case rules: an exact (case-sensitive) match wins over a case-insensitive
 * one; within each, served names and aliases come first, then the repository id, then the deployment name. A level
 * where two backends match is ambiguous (400 naming them: nameClaims refuses such definitions at save time, but
 * two deployments of one repository are normal). Backends set to `off` are never routed.
 */
export function resolveModel(backends: readonly GatewayBackend[], name: string): Resolution {
  const routable = backends.filter((b) => b.serve !== 'off')
  for (const fold of [false, true]) {
    const same = fold ? (a: string) => a.toLowerCase() === name.toLowerCase() : (a: string) => a === name
    for (const [what, names] of LEVELS) {
      const hits = routable.filter((b) => names(b).some(same))
      if (hits.length === 1) return { ok: true, backend: hits[0] as GatewayBackend, name }
      if (hits.length > 1) {
        const which = hits.map((b) => `${primaryName(b)} (deployment ${b.deploymentName ?? b.id})`).join(', ')
        return {
          ok: false,
          error: {
            status: 400,
            type: 'invalid_request_error',
            code: 'ambiguous_model',
            param: 'model',
            message: `The model \`${name}\` is the ${what} of several deployments: ${which}. Name one of their served names instead.`,
          },
        }
      }
    }
  }
  const off = backends.find((b) => b.serve === 'off' && LEVELS.some(([, names]) => names(b).includes(name)))
  if (off) {
    const error = modelNotFound(name, backends)
    const dep = off.deploymentName ?? off.id
    error.message = `The model \`${name}\` is not served: its deployment "${dep}" is set to serve "off". Set it to on-demand or always-on in InferAdmin.`
    return { ok: false, error }
  }
  return { ok: false, error: modelNotFound(name, backends) }
}

/** A definition's explicit names, as saved. */
export interface NameClaimDef {
  id: string
  servedNames: readonly string[]
  aliases?: readonly string[]
}

/** A name (compared case-insensitively) that more than one definition claims, with the ids of all of them. */
export interface NameClash {
  name: string
  ids: string[]
}

/**
 * Names claimed by more than one definition (served names and aliases; case-insensitive because routing falls back
 * to that). Definitions set to `off` count too: turning one on must not make routing ambiguous. Use at save time:
 * refuse the definition being saved if its id is among a clash's ids.
 */
export function nameClaims(defs: readonly NameClaimDef[]): NameClash[] {
  const byKey = new Map<string, NameClash>()
  for (const d of defs) {
    const own = new Set<string>()
    for (const n of [...d.servedNames, ...(d.aliases ?? [])]) {
      const key = n.toLowerCase()
      if (own.has(key)) continue
      own.add(key)
      const clash = byKey.get(key) ?? { name: n, ids: [] }
      clash.ids.push(d.id)
      byKey.set(key, clash)
    }
  }
  return [...byKey.values()].filter((c) => c.ids.length > 1)
}

/** One card of `GET /v1/models`: OpenAI's Model plus the gateway's state and vLLM's max_model_len (§6.3, §3.1). */
export interface ModelCard {
  id: string
  object: 'model'
  created: number
  owned_by: string
  state: PublicModelState
  max_model_len: number | null
  root: string | null
}

/** One card per served name of every routable backend (as vLLM lists them), sorted by id. */
export function modelCards(backends: readonly GatewayBackend[], created: number): ModelCard[] {
  const cards: ModelCard[] = []
  const seen = new Set<string>()
  for (const b of backends) {
    if (b.serve === 'off') continue
    for (const id of b.servedNames.length ? b.servedNames : [b.id]) {
      if (seen.has(id)) continue
      seen.add(id)
      const state = publicState(b)
      cards.push({
        id,
        object: 'model',
        created,
        owned_by: 'inferadmin',
        state,
        max_model_len: b.maxModelLen ?? null,
        root: b.repoId ?? null,
      })
    }
  }
  return cards.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}
