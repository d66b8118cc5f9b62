import { describe, expect, it } from 'vitest'
import type { FlagInfo } from '@shared/contract/deployments'
import { ESSENTIALS, GROUP_TITLES, groupTitle, layoutFlags } from './flag-groups'

// The flag list InferAdmin ships (vLLM's own groups: ModelConfig, CacheConfig, …), as the form gets it.
const bundled = Object.values(
  import.meta.glob<{ flag: string; group?: string; help?: string; aliases?: string[]; positional?: boolean }[]>(
    '/src/main/core/engine/data/vllm-serve-args.json',
    { eager: true, import: 'default' },
  ),
)[0]!

function info(flag: string, group: string, help = ''): FlagInfo {
  return {
    flag,
    aliases: [],
    type: 'str',
    action: 'value',
    default: null,
    choices: null,
    min: null,
    max: null,
    minExclusive: false,
    group,
    help,
    deprecated: false,
  }
}
const catalog: FlagInfo[] = bundled.map((r) => ({ ...info(r.flag, r.group ?? 'serve', r.help ?? ''), aliases: r.aliases ?? [] }))

describe('the vLLM argument form: essentials first, then groups with human names', () => {
  it('puts the essentials first, in their fixed order, with plain names', () => {
    const { essentials } = layoutFlags(catalog)
    expect(essentials.map((e) => e.flag)).toEqual([
      '--max-model-len',
      '--gpu-memory-utilization',
      '--dtype',
      '--quantization',
      '--max-num-seqs',
      '--served-model-name',
      '--enable-prefix-caching',
      '--trust-remote-code',
      '--enable-auto-tool-choice',
      '--tool-call-parser',
      '--reasoning-parser',
    ])
    expect(essentials[0]?.label).toBe('Context length (tokens)')
    expect(essentials[1]?.label).toBe('GPU memory utilization (0–1)')
  })

  it('shows every other flag once, in a group named for people, never a config class name', () => {
    const { essentials, groups } = layoutFlags(catalog)
    const shown = [...essentials.map((e) => e.flag), ...groups.flatMap((g) => g.flags.map((f) => f.flag))]
    const setByDefinition = ['--model', '--port', '--host', '--tensor-parallel-size']
    const options = catalog.filter((f) => f.flag.startsWith('--') && !setByDefinition.includes(f.flag)).map((f) => f.flag)
    expect(shown.sort()).toEqual([...new Set(options)].sort())
    for (const f of setByDefinition) expect(shown).not.toContain(f)
    expect(groups.length).toBeGreaterThan(8)
    for (const g of groups) expect(g.title, g.id).not.toMatch(/Config|^serve$|^Frontend$/)
    expect(groups.slice(0, 5).map((g) => g.title)).toEqual([
      'Model',
      'Memory and KV cache',
      'Batching and scheduling',
      'Multi-GPU and parallelism',
      'API server',
    ])
    // every group of the shipped list has a chosen name (none falls back to a generated one)
    const known = new Set(GROUP_TITLES.map(([id]) => id))
    expect(groups.filter((g) => !known.has(g.id)).map((g) => g.id)).toEqual([])
  })

  it('leaves out flags the image lacks, and the positional model argument', () => {
    const { essentials, groups } = layoutFlags([
      info('model_tag', 'serve'),
      info('--max-model-len', 'ModelConfig'),
      info('--seed', 'ModelConfig'),
    ])
    expect(essentials.map((e) => e.flag)).toEqual(['--max-model-len'])
    expect(groups).toEqual([{ id: 'ModelConfig', title: 'Model', flags: [expect.objectContaining({ flag: '--seed' })] }])
  })

  it('search matches the flag, an alias, its help or the plain name, in essentials and groups alike', () => {
    const byPlainName = layoutFlags(catalog, 'context length')
    expect(byPlainName.essentials.map((e) => e.flag)).toEqual(['--max-model-len'])
    const byFlag = layoutFlags(catalog, '--seed')
    expect(byFlag.essentials).toEqual([])
    expect(byFlag.groups.flatMap((g) => g.flags.map((f) => f.flag))).toContain('--seed')
    const byAlias = layoutFlags(catalog, '-asc')
    expect(byAlias.groups.flatMap((g) => g.flags.map((f) => f.flag))).toEqual(['--api-server-count'])
    // the definition's own fields are not offered, not even by alias
    expect(layoutFlags(catalog, '-tp').groups.flatMap((g) => g.flags.map((f) => f.flag))).not.toContain('--tensor-parallel-size')
    expect(layoutFlags(catalog, 'no-such-flag-anywhere')).toEqual({ essentials: [], groups: [] })
  })

  it('names groups vLLM adds later from their class name', () => {
    expect(groupTitle('EPLBConfig')).toBe('EPLB')
    expect(groupTitle('PromptAdapterConfig')).toBe('Prompt adapter')
    expect(groupTitle('options')).toBe('Other')
    expect(groupTitle('CacheConfig')).toBe('Memory and KV cache')
    expect(ESSENTIALS.every((e) => catalog.some((f) => f.flag === e.flag))).toBe(true)
  })
})
