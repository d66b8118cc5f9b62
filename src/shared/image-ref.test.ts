import { describe, expect, it } from 'vitest'
import { canonicalRepository, parseImageRef, versionOf } from './image-ref'

describe('image references in the UI', () => {
  it('splits registry ports from tags and keeps digests', () => {
    expect(parseImageRef('registry.local:5000/vllm/vllm-openai:v0.21.0@sha256:ab')).toEqual({
      repository: 'registry.local:5000/vllm/vllm-openai',
      tag: 'v0.21.0',
      digest: 'sha256:ab',
    })
    expect(parseImageRef('registry.local:5000/vllm')).toEqual({ repository: 'registry.local:5000/vllm', tag: null, digest: null })
  })

  it("Docker Hub's spellings of one repository are the same repository", () => {
    expect(canonicalRepository('docker.io/library/ubuntu')).toBe('ubuntu')
    expect(canonicalRepository('index.docker.io/vllm/vllm-openai')).toBe('vllm/vllm-openai')
    expect(canonicalRepository('ghcr.io/vllm/vllm-openai')).toBe('ghcr.io/vllm/vllm-openai')
  })

  it('the version picker shows the tag only for an image of the listed repository (one source of truth)', () => {
    expect(versionOf('vllm/vllm-openai:v0.21.0', 'docker.io/vllm/vllm-openai')).toEqual({ tag: 'v0.21.0', foreign: null })
    expect(versionOf('vllm/vllm-openai', 'vllm/vllm-openai')).toEqual({ tag: 'latest', foreign: null })
    // The image field says another repository than the one whose versions are listed: no tag may look chosen.
    expect(versionOf('vllm/vllm-openai:latest', 'inferadmin-sim/vllm-openai')).toEqual({ tag: '', foreign: 'vllm/vllm-openai' })
    expect(versionOf('  ', 'vllm/vllm-openai')).toEqual({ tag: '', foreign: null })
  })
})
