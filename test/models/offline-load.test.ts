import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHubSim } from '../sim/hub/server.js'
import { resolveModel } from '../sim/vllm/model.js'
import { makeStore, TINY, type Store } from './support'

/**
 * A pulled model is a valid HF cache: the simulated vLLM's loader (test/sim/vllm/model.js, the code
 * the sim image runs) resolves it offline from a read-only bind mount at another path, as a
 * container sees `-v <store>:/root/.cache/huggingface/hub:ro`. The same check inside a container of
 * the sim image is left until that image builder lands (test/sim/images.js).
 */
type Sim = Awaited<ReturnType<typeof startHubSim>>
let sim: Sim
let s: Store
let ro = ''

beforeAll(async () => {
  sim = await startHubSim()
  s = await makeStore(sim.url)
})
afterAll(async () => {
  if (ro) execFileSync('umount', [ro])
  await s.dispose()
  await sim.close()
})

describe('offline load of a pulled model', () => {
  it('the sim vLLM loader reads config and safetensors headers from a read-only mount with HF_HUB_OFFLINE=1', async () => {
    const job = await s.models.pull({ repo: TINY })
    expect((await s.waitJob(job.id, ['done', 'failed'])).state).toBe('done')
    ro = mkdtempSync(join(tmpdir(), 'inferadmin-ro-hub-'))
    execFileSync('mount', ['--bind', s.store, ro])
    execFileSync('mount', ['-o', 'remount,ro,bind', ro])
    expect(() => writeFileSync(join(ro, 'probe'), 'x')).toThrow(/EROFS|read-only/)

    const model = resolveModel({ name: TINY, revision: null, downloadDir: null, env: { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: ro } })
    expect(model.commit).toBe(sim.repos.get(TINY)?.refs.main)
    expect(model.dir.startsWith(ro)).toBe(true)
    expect(model.architecture).toBe('LlamaForCausalLM')
    expect(model.paramCount).toBe(1_835_008) // both shards' headers parsed through the relative symlinks
    expect(model.numLayers).toBe(4)
    // a model that is not in the cache fails offline the way vLLM does
    expect(() =>
      resolveModel({
        name: 'inferadmin-sim/tiny-gated',
        revision: null,
        downloadDir: null,
        env: { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: ro },
      }),
    ).toThrow()
  })
})
