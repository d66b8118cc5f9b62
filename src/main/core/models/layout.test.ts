import { describe, expect, it } from 'vitest'
import { repoFolderName, repoFromFolder, safeRepoPath } from './layout'
import { retryDelay, DEFAULT_RETRY } from './retry'
import { defaultSelection } from './selection'

describe('cache layout', () => {
  it('maps repo ids to folders and back', () => {
    expect(repoFolderName('Qwen/Qwen3-0.6B')).toBe('models--Qwen--Qwen3-0.6B')
    expect(repoFromFolder('models--Qwen--Qwen3-0.6B')).toBe('Qwen/Qwen3-0.6B')
    expect(repoFromFolder('datasets--a--b')).toBeUndefined()
  })

  it.each(['../x', 'a/../../x', '/etc/passwd', 'C:/x', 'a\\b', 'a//b', './a', ''])('refuses %j', (p) => {
    expect(() => safeRepoPath(p)).toThrow(/outside the model store/)
  })

  it.each(['a\u0007b', 'a\nb', 'a\u009bb'])('refuses control characters in %j', (p) => {
    expect(() => safeRepoPath(p)).toThrow(/control characters/)
  })

  it('refuses names no file system takes', () => {
    expect(() => safeRepoPath(`${'x'.repeat(256)}.json`)).toThrow(/longer than a file system takes/)
    expect(() => safeRepoPath('a/'.repeat(600) + 'b')).toThrow(/longer than a file system takes/)
  })

  it('refuses repo ids that are not one org/name pair (the folder must be one entry of the store)', () => {
    for (const repo of ['x/../../../victim', 'x', '/x', 'x/', 'a/b/c', 'a\0/b'])
      expect(() => repoFolderName(repo)).toThrow(/not a model id/)
  })

  it('accepts nested names', () => {
    expect(safeRepoPath('tokenizer/tokenizer.json')).toBe('tokenizer/tokenizer.json')
  })
})

describe('default selection (like vLLM)', () => {
  it('skips other weight formats and original/ when safetensors exist', () => {
    const sel = defaultSelection([
      'config.json',
      'model.safetensors',
      'pytorch_model.bin',
      'original/consolidated.00.pth',
      'tokenizer.json',
      'README.md',
    ])
    expect([...sel].sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'tokenizer.json'])
  })
  it('keeps *.bin when there is no safetensors', () => {
    expect(defaultSelection(['config.json', 'pytorch_model.bin']).has('pytorch_model.bin')).toBe(true)
  })
})

describe('retry delay', () => {
  it('honours RateLimit r=0;t=, then Retry-After, else backs off', () => {
    expect(retryDelay(0, DEFAULT_RETRY, new Headers({ ratelimit: '"api";r=0;t=42' }), 429)).toBe(42_100)
    expect(retryDelay(0, DEFAULT_RETRY, new Headers({ 'retry-after': '7' }), 429)).toBe(7000)
    const d = retryDelay(2, DEFAULT_RETRY)
    expect(d).toBeGreaterThanOrEqual(2000)
    expect(d).toBeLessThanOrEqual(4000)
  })
})
