import { describe, expect, it } from 'vitest'
import { isPinned, parseImageRef, repoDigest, splitImage, withDefaultTag } from './image-ref'

const DIGEST = `sha256:${'b'.repeat(64)}`
const REPO = 'registry.local:5000/vllm/vllm-openai'

describe('image references', () => {
  it('keeps a registry port in the repository instead of reading it as a tag', () => {
    expect(parseImageRef(`${REPO}:v0.21.0`)).toEqual({ repository: REPO, tag: 'v0.21.0', digest: null })
    expect(parseImageRef(REPO)).toEqual({ repository: REPO, tag: null, digest: null })
    expect(parseImageRef('localhost:5000/img')).toEqual({ repository: 'localhost:5000/img', tag: null, digest: null })
  })

  it('separates a digest, with or without a tag before it', () => {
    expect(parseImageRef(`vllm/vllm-openai:v0.21.0@${DIGEST}`)).toEqual({ repository: 'vllm/vllm-openai', tag: 'v0.21.0', digest: DIGEST })
    expect(parseImageRef(`${REPO}@${DIGEST}`)).toEqual({ repository: REPO, tag: null, digest: DIGEST })
    expect(splitImage(`vllm/vllm-openai:v0.21.0@${DIGEST}`)).toEqual({ repository: 'vllm/vllm-openai', tag: 'v0.21.0' })
  })

  it('reads a bare name as the whole repository with no tag', () => {
    expect(parseImageRef('ubuntu')).toEqual({ repository: 'ubuntu', tag: null, digest: null })
    expect(isPinned('ubuntu')).toBe(false)
    expect(isPinned(REPO)).toBe(false)
    expect(isPinned('ubuntu:24.04')).toBe(true)
    expect(isPinned(`ubuntu@${DIGEST}`)).toBe(true)
  })

  it('names :latest only where the reference pins nothing', () => {
    expect(withDefaultTag(REPO)).toBe(`${REPO}:latest`)
    expect(withDefaultTag(`${REPO}:nightly`)).toBe(`${REPO}:nightly`)
    expect(withDefaultTag(`${REPO}@${DIGEST}`)).toBe(`${REPO}@${DIGEST}`)
  })

  it("finds the digest Docker recorded for the reference's repository, not another repository's", () => {
    const digests = [`mirror.local/vllm/vllm-openai@sha256:${'a'.repeat(64)}`, `${REPO}@${DIGEST}`]
    expect(repoDigest(digests, `${REPO}:v0.21.0`)).toBe(DIGEST)
    expect(repoDigest(digests, 'vllm/vllm-openai:v0.21.0')).toBeNull()
    expect(repoDigest(undefined, REPO)).toBeNull()
  })
})
