import { beforeEach, describe, expect, it } from 'vitest'
import { escapeMarkup, NOTIFY_DEFAULTS, NotifyRules, type NotifyToggles } from './notify-rules'

let clock = 0
let toggles: NotifyToggles
let rules: NotifyRules

beforeEach(() => {
  clock = 1_000_000
  toggles = { ...NOTIFY_DEFAULTS }
  rules = new NotifyRules({ now: () => clock, toggles: () => toggles, coalesceMs: 3000, maxPerMinute: 4 })
})

describe('notification rules: coalescing', () => {
  it('turns ten downloads finishing within the window into one notification that opens Models', () => {
    for (let i = 0; i < 10; i++) {
      rules.push({ kind: 'download-finished', repo: `org/model-${i}` })
      clock += 200
    }
    expect(rules.take()).toEqual([])
    clock = rules.nextAt()!
    expect(rules.take()).toEqual([
      {
        kind: 'download-finished',
        title: '10 downloads finished',
        body: 'org/model-0, org/model-1, org/model-2 and 7 more',
        route: '/models',
        urgency: 'normal',
        count: 10,
      },
    ])
    expect(rules.nextAt()).toBeNull()
  })

  it('names the one download when it finishes alone, and waits the window for others first', () => {
    rules.push({ kind: 'download-finished', repo: 'Qwen/Qwen3-8B' })
    expect(rules.nextAt()).toBe(clock + 3000)
    clock += 2999
    expect(rules.take()).toEqual([])
    clock += 1
    expect(rules.take()).toMatchObject([{ title: 'Download finished', body: 'Qwen/Qwen3-8B is ready to deploy.', count: 1 }])
  })

  it('counts the same model once when it becomes ready twice in the window', () => {
    rules.push({ kind: 'model-ready', deploymentId: 'd1', name: 'Qwen3-8B' })
    rules.push({ kind: 'model-ready', deploymentId: 'd1', name: 'Qwen3-8B' })
    clock += 3000
    expect(rules.take()).toMatchObject([
      { title: 'Qwen3-8B is ready', body: 'It is serving; open it from the Deployments page.', route: '/deployments', count: 1 },
    ])
  })

  it('keeps only the newest vLLM release found in the window', () => {
    rules.push({ kind: 'vllm-release', version: 'v0.21.1' })
    rules.push({ kind: 'vllm-release', version: 'v0.22.0' })
    clock += 3000
    expect(rules.take()).toMatchObject([{ title: 'vLLM v0.22.0 is out', route: '/system', count: 1 }])
  })
})

describe('notification rules: what each says', () => {
  it('gives a failed start its diagnosis in one line, critical, first', () => {
    rules.push({ kind: 'webui-ready', url: 'http://127.0.0.1:3000' })
    rules.push({
      kind: 'model-failed',
      deploymentId: 'd2',
      name: 'Llama',
      diagnosis: 'Not enough GPU memory:\n  lower\t--gpu-memory-utilization',
    })
    clock += 3000
    const [first, second] = rules.take()
    expect(first).toMatchObject({
      title: 'Llama failed to start',
      body: 'Not enough GPU memory: lower --gpu-memory-utilization',
      urgency: 'critical',
      route: '/deployments',
    })
    expect(second).toMatchObject({ title: 'Open WebUI is ready', body: 'http://127.0.0.1:3000', route: '/webui', urgency: 'normal' })
  })

  it('says when a running model ran out of memory, and when it crashed otherwise', () => {
    rules.push({ kind: 'model-crashed', deploymentId: 'd1', name: 'Qwen3-8B', oom: true, reason: null })
    clock += 3000
    expect(rules.take()[0]).toMatchObject({ title: 'Qwen3-8B ran out of GPU memory', urgency: 'critical' })
    rules.push({ kind: 'model-crashed', deploymentId: 'd1', name: 'Qwen3-8B', oom: false, reason: 'exit code 139' })
    clock += 3000
    expect(rules.take()[0]).toMatchObject({ title: 'Qwen3-8B stopped unexpectedly', body: 'exit code 139' })
  })

  it('caps a long body and escapes markup for servers that parse it', () => {
    rules.push({ kind: 'download-failed', repo: 'org/m', message: 'x'.repeat(500) })
    clock += 3000
    expect(rules.take()[0]?.body).toHaveLength(200)
    expect(escapeMarkup('R&D <b>bold</b>')).toBe('R&amp;D &lt;b&gt;bold&lt;/b&gt;')
  })
})

describe('notification rules: toggles', () => {
  it('says nothing of unloads by default, and does once the toggle is on', () => {
    const unloaded = { kind: 'model-unloaded', deploymentId: 'd1', name: 'Qwen3-8B', reason: 'evicted', detail: 'for Llama' } as const
    rules.push(unloaded)
    clock += 3000
    expect(rules.take()).toEqual([])
    toggles.modelUnload = true
    rules.push(unloaded)
    clock += 3000
    expect(rules.take()).toMatchObject([{ title: 'Qwen3-8B unloaded', body: 'Unloaded to make room: for Llama' }])
  })

  it('drops what is waiting when its kind is turned off before it goes out', () => {
    rules.push({ kind: 'download-failed', repo: 'org/m', message: 'disk full' })
    toggles.downloads = false
    clock += 3000
    expect(rules.take()).toEqual([])
    expect(rules.nextAt()).toBeNull()
  })
})

describe('notification rules: rate limit', () => {
  it('sends at most four a minute; the rest wait, keep coalescing, and go out when a slot frees', () => {
    const kinds = [
      { kind: 'download-finished', repo: 'a' },
      { kind: 'model-ready', deploymentId: 'd1', name: 'A' },
      { kind: 'webui-ready', url: 'http://127.0.0.1:3000' },
      { kind: 'vllm-release', version: 'v1' },
    ] as const
    for (const e of kinds) rules.push(e)
    clock += 3000
    expect(rules.take()).toHaveLength(4)
    const sentAt = clock
    rules.push({ kind: 'download-finished', repo: 'b' })
    clock += 3000
    expect(rules.take()).toEqual([])
    rules.push({ kind: 'download-finished', repo: 'c' })
    expect(rules.nextAt()).toBe(sentAt + 60_000)
    clock = sentAt + 60_000
    expect(rules.take()).toMatchObject([{ title: '2 downloads finished', body: 'b, c', count: 2 }])
  })

  it('refuses settings that would break the limit, naming the fix', () => {
    expect(() => new NotifyRules({ now: () => 0, toggles: () => toggles, maxPerMinute: 0 })).toThrow(/at least 1.*toggles/)
    expect(() => new NotifyRules({ now: () => 0, toggles: () => toggles, coalesceMs: -1 })).toThrow(/coalesceMs must be 0 or more/)
  })
})
