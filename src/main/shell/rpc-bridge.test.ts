import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { createORPCClient } from '@orpc/client'
import { RPCLink } from '@orpc/client/message-port'
import type { IpcMainEvent } from 'electron'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ApiClient } from '../../shared/contract'
import { RPC_PORT_CHANNEL } from '../../shared/ipc'
import type { Core } from '../core/create-core'
import { createTestCore } from '../core/test-core'
import { fake, recordingLogger } from './fake-electron'
import { createAppOrigin } from './origin'
import { installRpcBridge, type RpcBridge } from './rpc-bridge'

vi.mock('electron', async () => (await import('./fake-electron')).electronModule)

/** Electron's MessagePortMain (Node-style `on`, explicit `start`) over a real Node MessagePort. */
class PortMain {
  readonly close = vi.fn(() => this.port.close())
  readonly start = vi.fn(() => this.port.start())
  constructor(private readonly port: MessagePort) {}
  on(name: 'message' | 'close', listener: (event?: { data: unknown }) => void): this {
    if (name === 'message') this.port.on('message', (data: unknown) => listener({ data }))
    else this.port.on('close', () => listener())
    return this
  }
  postMessage(data: unknown): void {
    this.port.postMessage(data)
  }
}

interface Handover {
  client: ApiClient
  rendererPort: MessagePort
  mainPort: PortMain
}

/** What the preload's ipcRenderer.postMessage(RPC_PORT_CHANNEL, null, [port]) looks like in main. */
function handOver(frame: { url: string; parent: object | null } | null, extraPorts = 0): Handover {
  const { port1: rendererPort, port2 } = new MessageChannel()
  const mainPort = new PortMain(port2)
  const extra = Array.from({ length: extraPorts }, () => new PortMain(new MessageChannel().port1))
  const event = { senderFrame: frame, ports: [mainPort, ...extra] } as unknown as IpcMainEvent
  fake.ipcMain.emit(RPC_PORT_CHANNEL, event)
  const client: ApiClient = createORPCClient(new RPCLink({ port: rendererPort }))
  rendererPort.start()
  return { client, rendererPort, mainPort }
}

let core: Core
let bridge: RpcBridge
const logger = recordingLogger()

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferadmin-bridge-'))
  core = await createTestCore(dir, { mode: 'desktop', version: '7.7.7' })
  bridge = installRpcBridge({ router: core.router, origin: createAppOrigin(), logger })
})

afterAll(async () => {
  bridge?.dispose()
  await core?.dispose()
})

describe('MessagePort bridge', () => {
  it('serves the API to a port handed over by our own window', async () => {
    const { client, mainPort, rendererPort } = handOver({ url: 'app://inferadmin/settings', parent: null })
    expect(await client.system.health()).toEqual({ status: 'ok', version: '7.7.7' })
    expect((await client.settings.get()).hfToken).toBeDefined()
    expect(mainPort.close).not.toHaveBeenCalled()
    expect(bridge.openPorts).toBeGreaterThanOrEqual(1)
    rendererPort.close()
  })

  it.each([
    ['a foreign page', { url: 'https://evil.example/', parent: null }],
    ['an app-origin lookalike', { url: 'app://inferadmin.evil/', parent: null }],
    ['a subframe', { url: 'app://inferadmin/', parent: {} }],
    ['a frame that is gone', null],
  ])('closes a port handed over by %s without serving it', async (_name, frame) => {
    const { mainPort, rendererPort } = handOver(frame)
    const closed = once(rendererPort, 'close')
    expect(mainPort.close).toHaveBeenCalledOnce()
    expect(mainPort.start).not.toHaveBeenCalled()
    await closed
    expect(logger.lines.at(-1)).toMatchObject({ level: 'warn', msg: 'refused rpc port', obj: { url: frame?.url ?? null } })
  })

  it('refuses a handover with more than one port, closing them all', () => {
    const { mainPort } = handOver({ url: 'app://inferadmin/', parent: null }, 1)
    expect(mainPort.close).toHaveBeenCalledOnce()
    expect(logger.lines.at(-1)?.obj).toMatchObject({ reason: 'expected exactly one port, got 2' })
  })

  it('listens on the one channel only, and stops when disposed', () => {
    expect(fake.ipcMain.eventNames()).toEqual([RPC_PORT_CHANNEL])
    const other = installRpcBridge({ router: core.router, origin: createAppOrigin(), logger })
    expect(fake.ipcMain.listenerCount(RPC_PORT_CHANNEL)).toBe(2)
    other.dispose()
    expect(fake.ipcMain.listenerCount(RPC_PORT_CHANNEL)).toBe(1)
  })
})
