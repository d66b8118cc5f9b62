import { createRouterClient } from '@orpc/server'
import { describe, expect, it, vi } from 'vitest'
import { recordingLogger } from './fake-electron'
import { testCore } from './test-core'
import { runTrayAction, type TrayEffects } from './tray-actions'

function setup() {
  const core = testCore()
  const client = createRouterClient(core.router, { context: { transport: 'ipc' } })
  const fx: TrayEffects = { openWindow: vi.fn(), requestQuit: vi.fn(), copyText: vi.fn(), openExternal: vi.fn(async () => undefined) }
  const errors: string[] = []
  const run = (a: Parameters<typeof runTrayAction>[0]) => runTrayAction(a, client, fx, recordingLogger(), (m) => errors.push(m))
  return { core, fx, errors, run }
}

describe('tray actions', () => {
  it('load, unload, start, stop and deploy go to the core; pause and resume to each download', async () => {
    const { core, run } = setup()
    await run({ type: 'gateway.load', name: 'qwen' })
    await run({ type: 'deployment.stop', id: 'd1' })
    await run({ type: 'webui.deploy' })
    await run({ type: 'downloads.pause', jobIds: ['a', 'b'] })
    await run({ type: 'downloads.resume', jobIds: ['a'] })
    expect(core.calls).toEqual([
      'gateway.load:{"name":"qwen"}',
      'deployments.stop:{"id":"d1"}',
      'webui.deploy:{}',
      'jobs.pause:{"id":"a"}',
      'jobs.pause:{"id":"b"}',
      'jobs.resume:{"id":"a"}',
    ])
  })

  it('opens only http(s) URLs and copies only the gateway URL it was given', async () => {
    const { fx, errors, run } = setup()
    await run({ type: 'webui.open', url: 'http://127.0.0.1:3000' })
    await run({ type: 'webui.open', url: 'file:///etc/passwd' })
    await run({ type: 'gateway.copy-url', url: 'http://127.0.0.1:8000/v1' })
    expect(fx.openExternal).toHaveBeenCalledExactlyOnceWith('http://127.0.0.1:3000')
    expect(fx.copyText).toHaveBeenCalledWith('http://127.0.0.1:8000/v1')
    expect(errors).toEqual(['refusing to open "file:///etc/passwd": only http(s) URLs are opened'])
  })

  it('reports a failing core call instead of throwing', async () => {
    const { core, errors, run } = setup()
    core.fail('deployments.start')
    await run({ type: 'deployment.start', id: 'd1' })
    expect(errors).toEqual(['deployments.start failed: the test said so'])
  })

  it('window and quit go to the shell', async () => {
    const { fx, run } = setup()
    await run({ type: 'window.open', route: '/models' })
    await run({ type: 'quit' })
    expect(fx.openWindow).toHaveBeenCalledWith('/models')
    expect(fx.requestQuit).toHaveBeenCalledOnce()
  })
})
