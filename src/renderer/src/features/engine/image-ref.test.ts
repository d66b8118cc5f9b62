import { describe, expect, it } from 'vitest'
import { pullOffer, taggedRef } from './image-ref'

describe('taggedRef', () => {
  it('names the image as Docker does: the tag after the last path segment, not a registry port; latest by default', () => {
    expect(taggedRef('vllm/vllm-openai:v0.21.0')).toBe('vllm/vllm-openai:v0.21.0')
    expect(taggedRef('127.0.0.1:5000/inferadmin-sim/vllm-openai')).toBe('127.0.0.1:5000/inferadmin-sim/vllm-openai:latest')
    expect(taggedRef('vllm/vllm-openai:nightly@sha256:abc')).toBe('vllm/vllm-openai:nightly')
  })
})

describe('pullOffer', () => {
  it('offers the engine pull only for a tag of the configured repository', () => {
    expect(pullOffer('reg:5000/sim/vllm:v0.12.0', 'reg:5000/sim/vllm')).toEqual({ tag: 'v0.12.0', viaSettings: true })
    expect(pullOffer('vllm/vllm-openai:latest', 'reg:5000/sim/vllm')).toEqual({ tag: 'latest', viaSettings: false })
    expect(pullOffer('docker.io/vllm/vllm-openai', 'vllm/vllm-openai')).toEqual({ tag: 'latest', viaSettings: true })
    expect(pullOffer('vllm/vllm-openai:latest', undefined).viaSettings).toBe(false)
  })
})
