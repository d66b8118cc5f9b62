import { describe, expect, it } from 'vitest'
import { fingerprint, memoryRelevantArgs, type FingerprintInput } from './fingerprint'

const COMMIT = '0E9E39F249A16976918F6564B8830BC894C89659'
const base: FingerprintInput = {
  modelCommit: COMMIT,
  image: 'vllm/vllm-openai:v0.11.0',
  args: { '--max-model-len': 8192, '--dtype': 'bfloat16', '--tensor-parallel-size': 2, '--enforce-eager': true },
  gpuNames: ['NVIDIA GeForce RTX 4090', 'NVIDIA GeForce RTX 4090'],
}

describe('fingerprint', () => {
  it('is a readable, stable key', () => {
    expect(fingerprint(base)).toBe(
      'model=0e9e39f249a16976918f6564b8830bc894c89659|image=vllm/vllm-openai:v0.11.0|gpu=nvidia geforce rtx 4090|' +
        'args=dtype=bfloat16 enforce-eager=true max-model-len=8192 tensor-parallel-size=2',
    )
  })

  it('gives the same key for argument order, spelling, aliases, defaults and irrelevant flags', () => {
    const variants: FingerprintInput[] = [
      { ...base, args: {}, argv: ['--enforce-eager', '-tp', '2', '--max_model_len=8192', '--dtype', 'bfloat16'] },
      { ...base, args: { '--enforce-eager': 'true', '--dtype': 'bfloat16' }, argv: ['--tensor_parallel_size=2', '--max-model-len', '8K'] },
      { ...base, args: { ...base.args, '--kv-cache-dtype': 'auto', '--pipeline-parallel-size': 1, '--gpu-memory-utilization': 0.41 } },
      { ...base, argv: ['--served-model-name', 'chat', '--trust-remote-code', '--kv-cache-memory-bytes', '4G', '--api-key', 'x'] },
      { ...base, image: 'docker.io/vllm/vllm-openai:v0.11.0', gpuNames: '  NVIDIA  GeForce RTX 4090 ' },
    ]
    // 8K is 8192 (upper case: ×1024).
    for (const v of variants) expect(fingerprint(v)).toBe(fingerprint(base))
    expect(fingerprint({ ...base, args: { ...base.args, '--dtype': 'half' } })).toBe(
      fingerprint({ ...base, args: { ...base.args, '--dtype': 'float16' } }),
    )
  })

  it('gives another key when anything that changes memory changes', () => {
    const changed: FingerprintInput[] = [
      { ...base, modelCommit: 'a'.repeat(40) },
      { ...base, image: 'vllm/vllm-openai:v0.12.0' },
      { ...base, gpuNames: 'NVIDIA H100 80GB HBM3' },
      { ...base, args: { ...base.args, '--max-model-len': 8000 } },
      { ...base, argv: ['--max-model-len', '16k'] },
      { ...base, args: { ...base.args, '--enforce-eager': false } },
      { ...base, argv: ['--kv-cache-dtype', 'fp8'] },
      { ...base, argv: ['-q', 'awq'] },
      { ...base, argv: ['--max-num-seqs', '64'] },
      { ...base, argv: ['--max-num-batched-tokens=4096'] },
      { ...base, argv: ['-O3'] },
      { ...base, argv: ['--speculative-config', '{"method":"ngram","num_speculative_tokens":3}'] },
    ]
    const keys = new Set([fingerprint(base), ...changed.map(fingerprint)])
    expect(keys.size).toBe(changed.length + 1)
    expect(fingerprint({ ...base, argv: ['--no-enforce-eager'] })).toBe(fingerprint(changed[5]!))
  })

  it('prefers the image digest over the tag', () => {
    const d = 'sha256:' + 'ab'.repeat(32)
    expect(fingerprint({ ...base, imageDigest: d })).toContain(`image=${d}|`)
    expect(fingerprint({ ...base, image: `vllm/vllm-openai@${d}` })).toBe(fingerprint({ ...base, image: 'other:tag', imageDigest: d }))
    expect(fingerprint({ ...base, image: 'vllm/vllm-openai' })).toContain('image=vllm/vllm-openai:latest|')
  })

  it('names bad inputs and the fix', () => {
    expect(() => fingerprint({ ...base, modelCommit: ' ' })).toThrow('modelCommit is empty; pass the resolved commit')
    expect(() => fingerprint({ ...base, gpuNames: [] })).toThrow('gpuNames is empty')
    expect(() => fingerprint({ ...base, argv: ['--max-model-len', 'lots'] })).toThrow('--max-model-len: "lots" is not an integer')
    expect(() => fingerprint({ ...base, argv: ['--hf-overrides', '{bad'] })).toThrow('--hf-overrides: "{bad" is not valid JSON')
  })
})

describe('memoryRelevantArgs', () => {
  it('normalises JSON key order and capture-size lists', () => {
    expect(memoryRelevantArgs({ '--compilation-config': '{"mode": 3, "cudagraph_mode": "FULL"}' })).toEqual(
      memoryRelevantArgs({}, ['-cc', '{"cudagraph_mode":"FULL","mode":3}']),
    )
    expect(memoryRelevantArgs({}, ['--cudagraph-capture-sizes', '1', '2', '4', '--enforce-eager'])).toEqual({
      'cudagraph-capture-sizes': '1,2,4',
      'enforce-eager': 'true',
    })
  })
})
