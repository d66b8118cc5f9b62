import { describe, expect, it } from 'vitest'
import { pullOffer, splitImage } from './image-ref'

describe('splitImage', () => {
  it('reads the tag after the last path segment, not a registry port', () => {
    expect(splitImage('vllm/vllm-openai:v0.21.0')).toEqual({ repository: 'vllm/vllm-openai', tag: 'v0.21.0' })
    expect(splitImage('127.0.0.1:5000/inferadmin-sim/vllm-openai:latest')).toEqual({
      repository: '127.0.0.1:5000/inferadmin-sim/vllm-openai',
      tag: 'latest',
    })
    expect(splitImage('127.0.0.1:5000/inferadmin-sim/vllm-openai')).toEqual({
      repository: '127.0.0.1:5000/inferadmin-sim/vllm-openai',
      tag: 'latest',
    })
    expect(splitImage('vllm/vllm-openai:nightly@sha256:abc')).toEqual({ repository: 'vllm/vllm-openai', tag: 'nightly' })
  })
})

describe('pullOffer', () => {
  it('offers the engine pull only for a tag of the configured repository', () => {
    expect(pullOffer('reg:5000/sim/vllm:v0.12.0', 'reg:5000/sim/vllm')).toEqual({ tag: 'v0.12.0', viaSettings: true })
    expect(pullOffer('vllm/vllm-openai:latest', 'reg:5000/sim/vllm')).toEqual({ tag: 'latest', viaSettings: false })
    expect(pullOffer('vllm/vllm-openai:latest', undefined).viaSettings).toBe(false)
  })
})
