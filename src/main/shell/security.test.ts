import type { Session, WebContents } from 'electron'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { fake, fakeEvent, FakeSession, FakeWebContents, recordingLogger } from './fake-electron'
import { createAppOrigin } from './origin'
import { denyAllPermissions, hardenWebContents, installWebContentsGuards } from './security'

vi.mock('electron', async () => (await import('./fake-electron')).electronModule)

const origin = createAppOrigin()

function hardened(): FakeWebContents {
  const contents = new FakeWebContents()
  hardenWebContents(contents as unknown as WebContents, origin, recordingLogger())
  return contents
}

beforeEach(() => {
  fake.openExternal.mockClear()
})

describe('navigation', () => {
  it.each(['https://evil.example/', 'http://127.0.0.1:7391/', 'file:///etc/passwd', 'app://other/index.html', 'javascript:alert(1)'])(
    'is denied to %s',
    (url) => {
      const contents = hardened()
      for (const name of ['will-navigate', 'will-redirect']) {
        const event = fakeEvent({ url })
        contents.emit(name, event)
        expect(event.defaultPrevented, name).toBe(true)
      }
    },
  )

  it('stays allowed within the app', () => {
    const contents = hardened()
    const event = fakeEvent({ url: 'app://inferadmin/settings' })
    contents.emit('will-navigate', event)
    expect(event.defaultPrevented).toBe(false)
  })

  it('blocks <webview> attachment', () => {
    const contents = hardened()
    const event = fakeEvent()
    contents.emit('will-attach-webview', event)
    expect(event.defaultPrevented).toBe(true)
  })

  it('applies to every webContents the app creates', () => {
    installWebContentsGuards(origin, recordingLogger())
    const contents = new FakeWebContents()
    fake.app.emit('web-contents-created', fakeEvent(), contents)
    const event = fakeEvent({ url: 'https://evil.example/' })
    contents.emit('will-navigate', event)
    expect(event.defaultPrevented).toBe(true)
    expect(contents.windowOpenHandler?.({ url: 'app://inferadmin/' })).toEqual({ action: 'deny' })
  })
})

describe('window.open', () => {
  it('never opens a window; http(s) links go to the default browser', () => {
    const contents = hardened()
    expect(contents.windowOpenHandler?.({ url: 'https://huggingface.co/meta-llama' })).toEqual({ action: 'deny' })
    expect(fake.openExternal).toHaveBeenCalledWith('https://huggingface.co/meta-llama')
  })

  it.each(['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'app://inferadmin/', 'not a url'])(
    'denies %s without handing it to the OS',
    (url) => {
      const contents = hardened()
      expect(contents.windowOpenHandler?.({ url })).toEqual({ action: 'deny' })
      expect(fake.openExternal).not.toHaveBeenCalled()
    },
  )
})

describe('permissions', () => {
  it('denies every permission request and check', () => {
    const session = new FakeSession()
    const logger = recordingLogger()
    denyAllPermissions(session as unknown as Session, logger)
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) {
      const callback = vi.fn()
      session.requestHandler?.({}, permission, callback)
      expect(callback, permission).toHaveBeenCalledWith(false)
      expect(session.checkHandler?.({}, permission, 'app://inferadmin', {})).toBe(false)
    }
    expect(session.deviceHandler?.({})).toBe(false)
    expect(logger.lines.filter((l) => l.msg === 'denied permission request')).toHaveLength(6)
  })
})
