import { describe, expect, it } from 'vitest'
// The simulated vLLM prints argparse help exactly as vLLM does, per version (test/sim/vllm).
import { buildParser } from '../../../../test/sim/vllm/argparse.js'
import { filteredHelp, fullHelp } from '../../../../test/sim/vllm/help.js'
import { versionInfo } from '../../../../test/sim/vllm/versions.js'
import { bundledFlags, flagFate } from './flags-bundled'
import { parseArgparseHelp, parsePyDefault } from './flags-help'
import { flagsSchema, splitWords, toArgv, validateArgs } from './flags-validate'

function helpOf(tag: string): string {
  const v = versionInfo(tag)
  if (v.entrypoint === 'api_server') return fullHelp(buildParser(v.snapshot, { prog: 'api_server.py', positionalModel: false }))
  return filteredHelp(buildParser(v.snapshot, { prog: 'vllm serve', positionalModel: true }), 'all', v.banner === 'logo' ? 'new' : 'old')
    .text
}

describe('argparse help parser', () => {
  it('reads every flag of `vllm serve --help=all` (v0.21.0) with types, choices, defaults, aliases and --no- forms', () => {
    const flags = parseArgparseHelp(helpOf('v0.21.0'))
    const by = new Map(flags.map((f) => [f.flag, f]))
    expect(flags.length).toBeGreaterThan(200)
    expect(by.get('--gpu-memory-utilization')).toMatchObject({ default: 0.92, type: 'float', group: 'CacheConfig' })
    expect(by.get('--dtype')?.choices).toContain('bfloat16')
    expect(by.get('--enable-prefix-caching')).toMatchObject({ action: 'boolean_optional', type: 'bool' })
    expect(by.get('--disable-log-stats')).toMatchObject({ action: 'store_true', default: false })
    expect(by.get('--api-key')).toMatchObject({ type: 'list' })
    expect(by.get('--tensor-parallel-size')?.aliases).toContain('-tp')
    expect(by.has('--disable-log-requests')).toBe(false)
  })

  it('reads the plain --help of a ≤ v0.11 api_server.py image', () => {
    const flags = parseArgparseHelp(helpOf('v0.10.0'))
    const names = new Set(flags.map((f) => f.flag))
    expect(names.has('--disable-log-requests')).toBe(true)
    expect(names.has('--enable-log-requests')).toBe(false)
    expect(names.has('--max-model-len')).toBe(true)
  })

  it('rejects text that is not argparse help', () => {
    expect(() => parseArgparseHelp('api_server.py: error: argument -h/--help: ignored explicit argument')).toThrow(/not argparse help/)
  })

  it('parses Python default reprs', () => {
    expect(parsePyDefault('None')).toBeNull()
    expect(parsePyDefault("['*']")).toEqual(['*'])
    expect(parsePyDefault('0.92')).toBe(0.92)
    expect(parsePyDefault("'auto'")).toBe('auto')
  })
})

describe('argument validation', () => {
  const flags = bundledFlags()

  it('accepts valid values and builds argv', () => {
    const args = {
      '--gpu-memory-utilization': 0.5,
      '--dtype': 'bfloat16',
      '--enable-prefix-caching': false,
      '--max-model-len': '32k',
      '--api-key': ['a', 'b'],
    }
    expect(validateArgs(flags, args, '--max-num-seqs 64 --enforce-eager')).toEqual([])
    expect(toArgv(flags, args, '--max-num-seqs 64')).toEqual([
      '--gpu-memory-utilization',
      '0.5',
      '--dtype',
      'bfloat16',
      '--no-enable-prefix-caching',
      '--max-model-len',
      '32k',
      '--api-key',
      'a',
      'b',
      '--max-num-seqs',
      '64',
    ])
  })

  it('names unknown, removed (with successor), managed and invalid flags', () => {
    const p = validateArgs(
      flags,
      { '--bogus-flag': 1, '--disable-log-requests': true, '--gpu-memory-utilization': 1.5, '--dtype': 'fp7', '--model': 'x/y' },
      '--swap-space 4',
    )
    const msg = (f: string): string => p.find((x) => x.flag === f)?.message ?? ''
    expect(msg('--bogus-flag')).toMatch(/--bogus-flag is not a flag of this image/)
    expect(msg('--disable-log-requests')).toMatch(/removed .* use --no-enable-log-requests instead/)
    expect(p.find((x) => x.flag === '--disable-log-requests')?.successor).toBe('--no-enable-log-requests')
    expect(msg('--gpu-memory-utilization')).toMatch(/at most 1/)
    expect(msg('--dtype')).toMatch(/must be one of auto, bfloat16/)
    expect(msg('--model')).toMatch(/set by InferAdmin/)
    expect(msg('--swap-space')).toMatch(/removed/)
  })

  it('knows what became of removed flags', () => {
    expect(flagFate('--task')).toMatchObject({ successor: '--runner / --convert' })
    expect(flagFate('--num-scheduler-steps').removedIn).toMatch(/v0\.11/)
  })

  it('builds a strict zod schema from the flags', () => {
    const s = flagsSchema(flags)
    expect(s.safeParse({ '--max-num-seqs': 64 }).success).toBe(true)
    expect(s.safeParse({ '--nope': 1 }).success).toBe(false)
    expect(s.safeParse({ '--gpu-memory-utilization': 0 }).success).toBe(false)
  })

  it('splits shell-like words', () => {
    expect(splitWords(`--a 1 --json '{"x": 1}' --b "two words"`)).toEqual(['--a', '1', '--json', '{"x": 1}', '--b', 'two words'])
    expect(() => splitWords(`--a '1`)).toThrow(/unclosed/)
  })
})
