import { MessageChannel } from 'node:worker_threads'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import pkg from '../../package.json'
import { RPC_PORT_CHANNEL } from '../shared/ipc'

type Listener = (event: { data: unknown; source: unknown; ports: readonly unknown[] }) => void

const electron = vi.hoisted(() => {
  /** Records every property the preload reads from ipcRenderer, to prove it uses nothing but postMessage. */
  const touched = new Set<string>()
  const postMessage = vi.fn()
  const ipcRenderer = new Proxy(
    { postMessage },
    {
      get(target, prop, receiver) {
        touched.add(String(prop))
        return Reflect.get(target, prop, receiver) as unknown
      },
    },
  )
  return { touched, postMessage, ipcRenderer, contextBridge: { exposeInMainWorld: vi.fn() } }
})
vi.mock('electron', () => ({ ipcRenderer: electron.ipcRenderer, contextBridge: electron.contextBridge }))

const listeners: Listener[] = []
const page = { addEventListener: (type: string, listener: Listener) => type === 'message' && listeners.push(listener) }

function postToPage(event: { data: unknown; source?: unknown; ports?: readonly unknown[] }): void {
  for (const listener of listeners) listener({ source: page, ports: [], ...event })
}

beforeAll(async () => {
  vi.stubGlobal('window', page)
  await import('./index')
})

afterAll(() => {
  vi.unstubAllGlobals()
})

beforeEach(() => {
  electron.postMessage.mockClear()
})

describe('preload', () => {
  it('exposes only a frozen {platform, version} as window.inferadmin', () => {
    expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledOnce()
    const [key, api] = electron.contextBridge.exposeInMainWorld.mock.calls[0] ?? []
    expect(key).toBe('inferadmin')
    expect(api).toEqual({ platform: process.platform, version: pkg.version })
    expect(Object.isFrozen(api)).toBe(true)
    expect(Object.values(api as object).every((v) => typeof v === 'string')).toBe(true)
  })

  it('forwards the page’s RPC port to the main process, and nothing else', () => {
    const { port1 } = new MessageChannel()
    postToPage({ data: RPC_PORT_CHANNEL, ports: [port1] })
    expect(electron.postMessage).toHaveBeenCalledOnce()
    const [channel, message, transfer] = electron.postMessage.mock.calls[0] ?? []
    expect([channel, message]).toEqual([RPC_PORT_CHANNEL, null])
    expect(transfer).toHaveLength(1)
    expect((transfer as unknown[])[0]).toBe(port1)
    port1.close()
  })

  it.each([
    ['another message', { data: 'hello', ports: [new MessageChannel().port1] }],
    ['a message object', { data: { channel: RPC_PORT_CHANNEL }, ports: [new MessageChannel().port1] }],
    ['the channel without a port', { data: RPC_PORT_CHANNEL }],
    ['the channel with two ports', { data: RPC_PORT_CHANNEL, ports: [new MessageChannel().port1, new MessageChannel().port1] }],
    ['the channel from a subframe', { data: RPC_PORT_CHANNEL, source: {}, ports: [new MessageChannel().port1] }],
  ])('ignores %s', (_name, event) => {
    postToPage(event)
    expect(electron.postMessage).not.toHaveBeenCalled()
  })

  it('never touches ipcRenderer beyond postMessage (no send, invoke or on)', () => {
    postToPage({ data: RPC_PORT_CHANNEL, ports: [new MessageChannel().port1] })
    expect([...electron.touched]).toEqual(['postMessage'])
  })
})
