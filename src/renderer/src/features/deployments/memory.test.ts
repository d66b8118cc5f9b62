import { describe, expect, it } from 'vitest'
import { contextPlaceholder, memoryForm, memorySpec, SEQUENCES_PLACEHOLDER, type MemoryForm } from './memory'

const form = (f: Partial<MemoryForm> = {}): MemoryForm => ({ ...memoryForm(), ...f })
const o = { gpuCount: 2, args: {} }

describe('memory, placement and sleep fields', () => {
  it('a new deployment: pinned GPUs, auto memory with the defaults, sleep off — saved as the spec’s defaults', () => {
    expect(memoryForm()).toEqual({
      placement: 'pinned',
      anyCount: '1',
      memoryMode: 'auto',
      contextTokens: '',
      sequences: '',
      utilization: '',
      sleepMode: 'off',
    })
    expect(memorySpec(form(), o)).toEqual({ ok: true, value: { sleepMode: 'off' } })
  })

  it('any 1 GPU, auto memory with 16384 tokens × 2 sequences and sleep auto round-trip through the definition', () => {
    const f = form({ placement: 'any', anyCount: '1', contextTokens: '16384', sequences: '2', sleepMode: 'auto' })
    const r = memorySpec(f, o)
    expect(r).toEqual({
      ok: true,
      value: { placement: { gpus: 'any', count: 1 }, memory: { mode: 'auto', contextTokens: 16384, sequences: 2 }, sleepMode: 'auto' },
    })
    if (r.ok) expect(memoryForm(r.value)).toEqual(f)
  })

  it('a fixed utilization round-trips; out of range or empty it names the range and the alternative', () => {
    const r = memorySpec(form({ memoryMode: 'fixed', utilization: '0.45' }), o)
    expect(r).toEqual({ ok: true, value: { memory: { mode: 'fixed', utilization: 0.45 }, sleepMode: 'off' } })
    if (r.ok) expect(memoryForm(r.value)).toMatchObject({ memoryMode: 'fixed', utilization: '0.45' })
    for (const bad of ['', '0', '1.2', 'half'])
      expect(memorySpec(form({ memoryMode: 'fixed', utilization: bad }), o)).toEqual({
        ok: false,
        errors: { utilization: expect.stringMatching(/above 0 and at most 1, e\.g\. 0\.45 — or choose auto/) },
      })
  })

  it('rejects counts and budgets that are not whole numbers in range, naming each field', () => {
    expect(memorySpec(form({ placement: 'any', anyCount: '3' }), o)).toEqual({
      ok: false,
      errors: { anyCount: 'Any N GPUs: a whole number of GPUs from 1 to 2 (the GPUs of this machine).' },
    })
    expect(memorySpec(form({ placement: 'any', anyCount: '0' }), { ...o, gpuCount: null })).toMatchObject({
      errors: { anyCount: 'Any N GPUs: a whole number of GPUs from 1 to 64.' },
    })
    const r = memorySpec(form({ contextTokens: '8k', sequences: '0' }), o)
    expect(r).toMatchObject({
      ok: false,
      errors: { contextTokens: expect.stringContaining('empty for the default'), sequences: expect.any(String) },
    })
  })

  it('auto budgets beside an explicit --gpu-memory-utilization are refused with the fix (the argument would win)', () => {
    const r = memorySpec(form({ sequences: '2' }), { ...o, args: { '--gpu-memory-utilization': 0.5 } })
    expect(r).toMatchObject({
      ok: false,
      errors: { contextTokens: expect.stringMatching(/remove that argument, or choose a fixed utilization/) },
    })
  })

  it('placeholders show the defaults: min(max model len, 8192) tokens × 4 sequences', () => {
    expect(contextPlaceholder({ '--max-model-len': 4096 })).toBe('4096 (default)')
    expect(contextPlaceholder({ '--max-model-len': 32768 })).toBe('8192 (default)')
    expect(contextPlaceholder({})).toBe('8192 or the max model len (default)')
    expect(SEQUENCES_PLACEHOLDER).toBe('4 (default)')
  })
})
