import { describe, expect, it } from 'vitest'
import { ArgError, buildParser, nonDefaultArgs, parseArgs } from './vllm/argparse.js'
import { filteredHelp, fullHelp, pyRepr } from './vllm/help.js'
import { planMemory, requestMemory, GiB, MiB } from './vllm/memory.js'

const serve21 = buildParser('v0.21.0', { prog: 'vllm serve', positionalModel: true })
const api10 = buildParser('v0.10.0', { prog: 'api_server.py', positionalModel: false })

const err = (spec: typeof serve21, argv: string[]) => {
  try {
    parseArgs(spec, argv)
  } catch (e) {
    expect(e).toBeInstanceOf(ArgError)
    return (e as Error).message
  }
  throw new Error('parsed')
}

describe('argparse over the flag snapshots (vllm-facts §1.1)', () => {
  it('parses values, aliases, booleans, lists, JSON (dotted), underscores and k-suffixes; logs non-defaults like vLLM', () => {
    const p = parseArgs(serve21, [
      'org/m',
      '-tp',
      '2',
      '--no-enable-prefix-caching',
      '--served-model-name',
      'a',
      'b',
      '--max_model_len',
      '32k',
      '--compilation-config.mode',
      '3',
      '--enforce-eager',
    ])
    expect(p.args).toMatchObject({
      model_tag: 'org/m',
      tensor_parallel_size: 2,
      enable_prefix_caching: false,
      served_model_name: ['a', 'b'],
      max_model_len: 32000,
      compilation_config: { mode: 3 },
      enforce_eager: true,
    })
    expect(p.args.gpu_memory_utilization).toBe(0.92)
    expect(pyRepr(Object.fromEntries(nonDefaultArgs(serve21, p)))).toBe(
      "{'model_tag': 'org/m', 'max_model_len': 32000, 'enforce_eager': True, 'served_model_name': ['a', 'b'], 'tensor_parallel_size': 2, 'enable_prefix_caching': False, 'compilation_config': {'mode': 3}}",
    )
    expect(parseArgs(api10, ['--model', 'x']).args.gpu_memory_utilization).toBe(0.9)
  })

  it('reports argparse errors', () => {
    expect(err(serve21, ['--port', 'abc'])).toBe("argument --port: invalid int value: 'abc'")
    expect(err(serve21, ['--dtype', 'x'])).toBe(
      "argument --dtype: invalid choice: 'x' (choose from 'auto', 'bfloat16', 'float', 'float16', 'float32', 'half')",
    )
    expect(err(serve21, ['--port'])).toBe('argument --port: expected one argument')
    expect(err(serve21, ['--enforce-eager=1'])).toBe("argument --enforce-eager/--no-enforce-eager: ignored explicit argument '1'")
    expect(err(serve21, ['--disable-log-requests'])).toBe('unrecognized arguments: --disable-log-requests')
    expect(err(api10, ['--model', 'x', 'positional'])).toBe('unrecognized arguments: positional')
    expect(
      parseArgs(buildParser('v0.11.0', { prog: 'api_server.py', positionalModel: false }), ['--disable-log-requests']).deprecatedUsed,
    ).toEqual(['--disable-log-requests'])
  })

  it('prints help like argparse, filtered like vllm serve', () => {
    const all = fullHelp(serve21)
    // argparse wraps help text at 80 columns (invocations with long choice lists may be longer)
    expect(
      all
        .split('\n')
        .filter((l) => l.startsWith(' '.repeat(24)))
        .every((l) => l.length <= 78),
    ).toBe(true)
    expect(all).toMatch(/\nModelConfig:\n {2}Configuration for the model\.\n\n/)
    expect(all).toMatch(/\n {2}--tensor-parallel-size TENSOR_PARALLEL_SIZE, -tp TENSOR_PARALLEL_SIZE\n/)
    expect(filteredHelp(serve21, 'max_model_len', 'new').text).toMatch(/^Parameter 'max_model_len':\n {2}--max-model-len MAX_MODEL_LEN\n/)
    expect(filteredHelp(serve21, 'cacheconfig', 'new').text).toMatch(/^CacheConfig:\n/)
    expect(filteredHelp(serve21, null, 'new').text).toMatch(/For full list: +vllm serve --help=all\n/)
  })
})

describe('memory arithmetic (vllm-facts §3)', () => {
  it("requests ceil(total × utilization) and fails with vLLM's message when free memory is short", () => {
    const total = 24164 * MiB
    expect(requestMemory({ device: 0, totalBytes: total, freeBytes: total, utilization: 0.5 })).toBe(Math.ceil(total * 0.5))
    expect(() => requestMemory({ device: 1, totalBytes: total, freeBytes: 10 * GiB, utilization: 0.9 })).toThrow(
      'Free memory on device cuda:1 (10.00/23.60 GiB) on startup is less than desired GPU memory utilization (0.9, 21.24 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.',
    )
  })

  it('sizes the KV cache in blocks of 16 and reports concurrency; v0.21 keeps graphs inside the fraction', () => {
    const base = {
      requestedBytes: 12 * GiB,
      weightBytes: 2 * GiB,
      hiddenSize: 1024,
      dtypeBytes: 2,
      numLayers: 28,
      numKvHeads: 8,
      headDim: 128,
      tp: 1,
      kvDtypeBytes: 2,
      maxModelLen: 40960,
      maxModelLenAuto: false,
      maxNumBatchedTokens: 2048,
      enforceEager: false,
      kvCacheMemoryBytes: null,
    }
    const old = planMemory({ ...base, graphsInBudget: false })
    const v21 = planMemory({ ...base, graphsInBudget: true })
    expect(old.bytesPerToken).toBe(2 * 28 * 8 * 128 * 2)
    expect(old.kvTokens % 16).toBe(0)
    expect(old.allocatedBytes).toBeGreaterThan(12 * GiB)
    expect(v21.allocatedBytes).toBe(12 * GiB)
    expect(v21.kvTokens).toBeLessThan(old.kvTokens)
    expect(old.maxConcurrency).toBeCloseTo(old.kvTokens / 40960)
  })
})
