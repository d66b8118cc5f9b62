import { describe, expect, it } from 'vitest'
import { clientTimeoutSeconds, KEY_PLACEHOLDER, snippet } from './snippets'

const input = { baseUrl: 'http://127.0.0.1:8000/v1', model: 'Qwen/Qwen3-8B', maxWaitMinutes: 10 }

describe('snippets', () => {
  it('curl posts a chat completion to the gateway with a bearer key and a timeout that outlasts a load', () => {
    const s = snippet('curl', input)
    expect(s).toContain("curl --max-time 900 'http://127.0.0.1:8000/v1/chat/completions'")
    expect(s).toContain(`-H 'Authorization: Bearer ${KEY_PLACEHOLDER}'`)
    expect(s).toContain(`-d '{"model":"Qwen/Qwen3-8B","messages":[{"role":"user","content":"Hello!"}]}'`)
    expect(s).toContain('needed from other machines')
  })

  it('curl quotes a model name with a quote in it so the shell passes it unchanged', () => {
    expect(snippet('curl', { ...input, model: "it's" })).toContain(`-d '{"model":"it'\\''s",`)
  })

  it('the Python client gets base_url, the key note, a timeout in seconds and retries', () => {
    const s = snippet('python', input)
    expect(s).toContain('from openai import OpenAI')
    expect(s).toContain('base_url="http://127.0.0.1:8000/v1",')
    expect(s).toContain(`api_key="${KEY_PLACEHOLDER}",  # a key from below (needed from other machines)`)
    expect(s).toContain('timeout=900,')
    expect(s).toContain('max_retries=2,')
    expect(s).toContain('model="Qwen/Qwen3-8B",')
  })

  it('the JS client gets baseURL, apiKey and a timeout in milliseconds', () => {
    const s = snippet('javascript', input)
    expect(s).toContain("import OpenAI from 'openai'")
    expect(s).toContain('baseURL: "http://127.0.0.1:8000/v1",')
    expect(s).toContain(`apiKey: '${KEY_PLACEHOLDER}', // a key from below (needed from other machines)`)
    expect(s).toContain('timeout: 900000,')
    expect(s).toContain('maxRetries: 2,')
  })

  it('the client timeout outlasts the maximum wait plus an answer, and never drops below the SDK default', () => {
    expect(clientTimeoutSeconds(1)).toBe(600)
    expect(clientTimeoutSeconds(10)).toBe(900)
    expect(clientTimeoutSeconds(60)).toBe(3900)
  })
})
