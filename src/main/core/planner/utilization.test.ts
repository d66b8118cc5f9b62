import { describe, expect, it } from 'vitest'
import { GiB } from './footprint-lines'
import {
  kvBudgetBytes,
  kvBytesPlan,
  startMemoryArgs,
  passesFreeCheck,
  requestedBytes,
  utilizationFor,
  utilizationForGpus,
} from './utilization'

/** A seeded generator: the same cases on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('kvBudgetBytes', () => {
  it('is context × sequences × KV bytes per token, in whole 16-token blocks (Llama-3.1-8B: 128 KiB/token, vllm-facts §3)', () => {
    expect(kvBudgetBytes({ contextTokens: 8192, sequences: 4, kvBytesPerToken: 131_072 })).toBe(8192 * 4 * 131_072)
    expect(kvBudgetBytes({ contextTokens: 8190, sequences: 1, kvBytesPerToken: 1000 })).toBe(8192 * 1000)
  })

  it('names a bad input', () => {
    expect(() => kvBudgetBytes({ contextTokens: 0, sequences: 1, kvBytesPerToken: 1 })).toThrow(
      'contextTokens must be a positive number, got 0',
    )
  })
})

describe('utilizationFor', () => {
  it('covers fixed + KV, rounded up to 0.001, as vLLM computes its request', () => {
    const total = 79.1 * GiB
    const p = utilizationFor({ totalBytes: total, fixedBytes: 17 * GiB, kvBytes: 4 * GiB })
    expect(p.utilization).toBe(0.266)
    expect(p.requestedBytes).toBe(Math.ceil(total * 0.266))
    expect(p.expectedKvBytes).toBeGreaterThanOrEqual(4 * GiB)
    expect(p.footprintBytes).toBe(p.requestedBytes)
    expect(utilizationFor({ totalBytes: total, fixedBytes: 17 * GiB, kvBytes: 4 * GiB, graphsOutsideBytes: GiB }).footprintBytes).toBe(
      p.requestedBytes + GiB,
    )
  })

  it('property: the request always covers the need, by less than one step, and grows with the KV budget', () => {
    const r = rng(16)
    for (let n = 0; n < 2000; n++) {
      const total = Math.round((8 + r() * 184) * GiB)
      const fixed = Math.round(r() * 0.5 * total)
      const kv = Math.round(r() * 0.45 * total)
      const p = utilizationFor({ totalBytes: total, fixedBytes: fixed, kvBytes: kv })
      expect(p.requestedBytes).toBeGreaterThanOrEqual(fixed + kv)
      expect(p.requestedBytes - (fixed + kv)).toBeLessThanOrEqual(total * 0.001 + 1)
      expect(p.utilization).toBeLessThanOrEqual(1)
      const more = utilizationFor({ totalBytes: total, fixedBytes: fixed, kvBytes: kv + Math.round(r() * 0.05 * total) })
      expect(more.utilization).toBeGreaterThanOrEqual(p.utilization)
    }
  })

  it('says what to change when the need exceeds the GPU', () => {
    expect(() => utilizationFor({ totalBytes: 24 * GiB, fixedBytes: 20 * GiB, kvBytes: 8 * GiB })).toThrow(
      'The model needs 28.00 GiB per GPU (20.00 GiB fixed + 8.00 GiB KV cache) but the GPU has 24.00 GiB: lower the context',
    )
  })
})

describe('utilizationForGpus and passesFreeCheck', () => {
  it('gives TP ranks on GPUs of different sizes one utilization that covers the smaller GPU', () => {
    const plans = utilizationForGpus([23.5 * GiB, 79.1 * GiB], { fixedBytes: 6 * GiB, kvBytes: 2 * GiB })
    expect(new Set(plans.map((p) => p.utilization)).size).toBe(1)
    for (const p of plans) expect(p.requestedBytes).toBeGreaterThanOrEqual(8 * GiB)
  })

  it('mirrors vLLM: a start passes only when live free ≥ ceil(total × u) (instance 2 at 0.45 on 80 GB needs 35.6 GiB free)', () => {
    const total = 79.1 * GiB
    expect(passesFreeCheck({ totalBytes: total, freeBytes: 35.6 * GiB, utilization: 0.45 })).toBe(true)
    expect(passesFreeCheck({ totalBytes: total, freeBytes: requestedBytes(total, 0.45) - 1, utilization: 0.45 })).toBe(false)
  })
})

describe('kvBytesPlan', () => {
  it('pairs exact KV bytes with a small utilization; the footprint counts graphs too', () => {
    const p = kvBytesPlan({ fixedBytes: 16 * GiB, kvBytes: 4 * GiB + 0.5, graphBytes: 0.5 * GiB })
    expect(p).toEqual({ kvCacheMemoryBytes: 4 * GiB + 1, utilization: 0.05, footprintBytes: 20.5 * GiB + 1 })
    expect(startMemoryArgs(p)).toEqual(['--kv-cache-memory-bytes', String(4 * GiB + 1), '--gpu-memory-utilization', '0.05'])
    expect(startMemoryArgs(utilizationFor({ totalBytes: 100 * GiB, fixedBytes: 10 * GiB, kvBytes: 31 * GiB }))).toEqual([
      '--gpu-memory-utilization',
      '0.41',
    ])
    expect(() => kvBytesPlan({ fixedBytes: 1, kvBytes: 0 })).toThrow('kvBytes must be positive')
  })
})
