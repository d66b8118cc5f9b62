import { describe, expect, it } from 'vitest'
import type { LocalImage } from '@shared/contract/engine'
import type { LocalModel } from '@shared/contract/models'
import { deploymentDeletion, imageDeletion, modelDeletion, pruneDeletion, webuiDeletion } from './deletion'
import { deployment } from './fixtures.test-support'

const MiB = 1024 * 1024

function model(o: Partial<LocalModel> & { users?: string[] } = {}): LocalModel {
  return {
    repo: 'org/tiny-chat',
    location: '/data/hf/hub',
    sizeOnDisk: 7 * MiB,
    incompleteBytes: 0,
    revisions: [{ commit: 'a'.repeat(40), refs: ['main'], files: 5, sizeBytes: 7 * MiB, inUseBy: o.users ?? [] }],
    namedBy: [],
    ...o,
  }
}

function image(tag: string, sizeBytes: number, inUseBy: string[] = []): LocalImage {
  return { tag, ref: `vllm/vllm-openai:${tag}`, id: `sha256:${tag}`, digest: null, sizeBytes, created: '2025-01-01', inUseBy }
}

describe('what a delete removes and what it keeps', () => {
  it('a stopped deployment: its definition and container go; the model, the image and the rest stay', () => {
    const plan = deploymentDeletion(deployment({ name: 'chat', args: { '--max-model-len': 4096, '--dtype': 'auto' } }))
    expect(plan.title).toBe('Delete the deployment “chat”?')
    expect(plan.removes).toEqual([
      'Its definition: model Qwen/Qwen3-0.6B, 1 GPU, port 8001, 2 vLLM arguments',
      'Its container (stopped), with its logs',
    ])
    expect(plan.keeps).toEqual([
      'The model Qwen/Qwen3-0.6B in the model store',
      'The vLLM image vllm/vllm-openai:v0.21.0',
      'Other deployments and Open WebUI',
    ])
    expect(plan.confirmLabel).toBe('Delete deployment')
    expect(plan.note).toMatch(/Export YAML/)
    expect(plan.blocked).toBeUndefined()
  })

  it('a running deployment: says the endpoint stops answering, and the button says it stops it', () => {
    const plan = deploymentDeletion(deployment({ state: 'ready', endpoint: 'http://127.0.0.1:8001/v1' }))
    expect(plan.removes[1]).toBe('Its running container: stopped now, so http://127.0.0.1:8001/v1 stops answering')
    expect(plan.confirmLabel).toBe('Stop and delete')
  })

  it('a model: its files with their size; deployments naming it stay; refused while one runs it', () => {
    const plan = modelDeletion(model({ incompleteBytes: 3 * MiB }))
    expect(plan.title).toBe('Delete the model org/tiny-chat?')
    expect(plan.removes).toEqual(['Its files in /data/hf/hub: 1 snapshot and the partial download, 10.0 MiB on disk'])
    expect(plan.keeps[0]).toBe('No deployment names it')
    expect(plan.confirmLabel).toBe('Delete 10.0 MiB')
    expect(plan.blocked).toBeUndefined()
    expect(modelDeletion(model({ users: ['chat', 'embed'] })).blocked).toBe('In use by chat, embed: stop them first.')
    expect(modelDeletion(model({ users: ['chat'] })).blocked).toBe('In use by chat: stop it first.')
  })

  it('a model a stopped deployment names: the dialog says which, and that it cannot start without it', () => {
    const plan = modelDeletion(model({ namedBy: ['chat-prod'] }))
    expect(plan.keeps[0]).toBe('The deployment “chat-prod” that names it: it stays, but cannot start until it is pulled again')
    expect(plan.note).toBe('Deleting it breaks “chat-prod” until you pull it again (or point that deployment at another model).')
    expect(plan.blocked).toBeUndefined()
  })

  it('a vLLM image: the local image with its size; refused while a deployment uses it', () => {
    const plan = imageDeletion('v0.30.0', image('v0.30.0', 16 * MiB))
    expect(plan.removes[0]).toMatch(/^The local image vllm\/vllm-openai:v0\.30\.0 \(16\.0 MiB; layers shared/)
    expect(plan.keeps).toContain('Deployments and their settings')
    expect(plan.confirmLabel).toBe('Remove 16.0 MiB')
    expect(imageDeletion('v1', image('v1', 1, ['chat'])).blocked).toBe('In use by chat.')
    expect(imageDeletion('gone', undefined).confirmLabel).toBe('Remove image')
  })

  it('a prune: each unused image with its size, the total on the button, how many used ones stay', () => {
    const plan = pruneDeletion([image('v0.10.0', 2 * MiB), image('v0.11.0', 3 * MiB)], 3)
    expect(plan.title).toBe('Remove 2 unused vLLM images?')
    expect(plan.removes).toEqual(['vllm/vllm-openai:v0.10.0 (2.0 MiB)', 'vllm/vllm-openai:v0.11.0 (3.0 MiB)'])
    expect(plan.keeps[0]).toBe('1 pulled image that deployments use')
    expect(plan.confirmLabel).toBe('Remove 5.0 MiB')
  })

  it('Open WebUI: the data volume is kept unless chosen, and then named as lost with its size', () => {
    const keep = webuiDeletion({ volume: 'vol', exists: true, sizeBytes: 2 * MiB, deleteData: false })
    expect(keep.removes).toEqual(['The Open WebUI container (its page stops answering)'])
    expect(keep.keeps[0]).toBe('The data volume vol (2.0 MiB): chats, accounts and settings: a new deploy picks them up')
    expect(keep.confirmLabel).toBe('Delete, keep data')
    const all = webuiDeletion({ volume: 'vol', exists: true, sizeBytes: 2 * MiB, deleteData: true })
    expect(all.removes[1]).toBe('The data volume vol (2.0 MiB): chats, accounts and settings, lost for good')
    expect(all.keeps).toEqual(['Your deployments and models'])
    expect(all.confirmLabel).toBe('Delete with data (2.0 MiB)')
    expect(webuiDeletion({ volume: 'vol', exists: false, sizeBytes: null, deleteData: false }).keeps[0]).toMatch(/no data volume/)
  })
})
