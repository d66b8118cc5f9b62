import { describe, expect, it } from 'vitest'
import type { GatewayBackend } from './backends'
import { modelCards, nameClaims, resolveModel } from './routing'

const be = (id: string, o: Partial<GatewayBackend> = {}): GatewayBackend => ({
  id,
  servedNames: [id],
  serve: 'on-demand',
  state: 'stopped',
  endpoint: null,
  ...o,
})

const resolvedId = (backends: GatewayBackend[], name: string): string => {
  const r = resolveModel(backends, name)
  if (!r.ok) throw new Error(r.error.message)
  return r.backend.id
}

describe('resolveModel', () => {
  const qwen = be('qwen', { servedNames: ['qwen3-8b', 'qwen'], aliases: ['chat'], repoId: 'Qwen/Qwen3-8B', deploymentName: 'Qwen 8B' })
  const embed = be('embed', { servedNames: ['bge-m3'], repoId: 'BAAI/bge-m3', deploymentName: 'embeddings', serve: 'always-on' })

  it('routes by served name, alias, repository id and deployment name', () => {
    const all = [qwen, embed]
    expect(resolvedId(all, 'qwen3-8b')).toBe('qwen')
    expect(resolvedId(all, 'qwen')).toBe('qwen')
    expect(resolvedId(all, 'chat')).toBe('qwen')
    expect(resolvedId(all, 'Qwen/Qwen3-8B')).toBe('qwen')
    expect(resolvedId(all, 'embeddings')).toBe('embed')
  })

  it('prefers an exact match, then a case-insensitive one', () => {
    const a = be('a', { servedNames: ['Model'] })
    const b = be('b', { servedNames: ['other'], deploymentName: 'model' })
    expect(resolvedId([a, b], 'model')).toBe('b')
    expect(resolvedId([a, b], 'Model')).toBe('a')
    expect(resolvedId([a, b], 'MODEL')).toBe('a')
    expect(resolvedId([qwen], 'qwen/qwen3-8b')).toBe('qwen')
  })

  it('prefers a served name over another deployment whose repository id is the same string', () => {
    const a = be('a', { servedNames: ['org/m'] })
    const b = be('b', { servedNames: ['b'], repoId: 'org/m' })
    expect(resolvedId([b, a], 'org/m')).toBe('a')
  })

  it('refuses a repository id that two deployments share, naming both', () => {
    const a = be('a', { servedNames: ['m-fast'], repoId: 'org/m', deploymentName: 'fast' })
    const b = be('b', { servedNames: ['m-long'], repoId: 'org/m', deploymentName: 'long' })
    const r = resolveModel([a, b], 'org/m')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.status).toBe(400)
    expect(r.error.code).toBe('ambiguous_model')
    expect(r.error.message).toContain('m-fast (deployment fast)')
    expect(r.error.message).toContain('m-long (deployment long)')
  })

  it('answers an unknown name with 404 model_not_found naming the available models', () => {
    const r = resolveModel([qwen, embed, be('x', { serve: 'off' })], 'gpt-4o')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error).toMatchObject({ status: 404, code: 'model_not_found', type: 'invalid_request_error', param: 'model' })
    expect(r.error.message).toBe('The model `gpt-4o` does not exist. Available models: bge-m3, qwen3-8b.')
  })

  it('never routes to a backend set to off, and says so when it is named', () => {
    const r = resolveModel([be('x', { serve: 'off', deploymentName: 'X dep' })], 'x')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.status).toBe(404)
    expect(r.error.message).toContain('"X dep" is set to serve "off"')
  })
})

describe('nameClaims', () => {
  it('reports a served name or alias claimed by two definitions, case-insensitively, off ones included', () => {
    const clashes = nameClaims([
      { id: 'a', servedNames: ['qwen', 'Qwen'], aliases: ['chat'] },
      { id: 'b', servedNames: ['llama'], aliases: ['CHAT'] },
      { id: 'c', servedNames: ['QWEN'] },
      { id: 'd', servedNames: ['embed'] },
    ])
    expect(clashes).toEqual([
      { name: 'qwen', ids: ['a', 'c'] },
      { name: 'chat', ids: ['a', 'b'] },
    ])
  })

  it('finds nothing when every name is unique', () => {
    expect(
      nameClaims([
        { id: 'a', servedNames: ['a'] },
        { id: 'b', servedNames: ['b'], aliases: ['bb'] },
      ]),
    ).toEqual([])
  })
})

describe('modelCards', () => {
  it('lists one card per served name of every routable backend with state and max_model_len', () => {
    const cards = modelCards(
      [
        be('q', {
          servedNames: ['qwen', 'q-alias'],
          state: 'ready',
          endpoint: 'http://127.0.0.1:1',
          maxModelLen: 32768,
          repoId: 'Qwen/Qwen3-8B',
        }),
        be('e', { servedNames: ['embed'], state: 'loading' }),
        be('s', { servedNames: ['sleepy'], state: 'sleeping' }),
        be('f', { servedNames: ['broken'], state: 'failed' }),
        be('c', { servedNames: ['cold'], state: 'stopped' }),
        be('o', { servedNames: ['hidden'], serve: 'off' }),
      ],
      1700000000,
    )
    expect(cards.map((c) => [c.id, c.state, c.max_model_len])).toEqual([
      ['broken', 'failed', null],
      ['cold', 'cold', null],
      ['embed', 'loading', null],
      ['q-alias', 'loaded', 32768],
      ['qwen', 'loaded', 32768],
      ['sleepy', 'sleeping', null],
    ])
    expect(cards[4]).toMatchObject({ object: 'model', created: 1700000000, owned_by: 'inferadmin', root: 'Qwen/Qwen3-8B' })
  })
})
