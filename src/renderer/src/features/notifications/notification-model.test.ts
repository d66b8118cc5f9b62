import { describe, expect, it } from 'vitest'
import type { AppNotification } from '@shared/contract/notifications'
import { browserNotificationSupport, toastOf, wantsBrowserNotification } from './notification-model'

const base: AppNotification = {
  id: 'n1',
  at: '2026-12-05T08:00:03.000Z',
  kind: 'download-finished',
  title: '10 downloads finished',
  body: 'a, b, c and 7 more',
  route: '/models',
  urgency: 'normal',
  count: 10,
}

describe('notifications in the web UI', () => {
  it('a toast keeps the count of a coalesced notification and shows failures as errors', () => {
    expect(toastOf(base)).toEqual({ title: '10 downloads finished', description: 'a, b, c and 7 more', variant: 'success' })
    expect(toastOf({ ...base, kind: 'model-unloaded', title: 'Models unloaded', count: 2 }).title).toBe('Models unloaded (2)')
    expect(toastOf({ ...base, kind: 'download-failed', urgency: 'critical', count: 1, title: 'Download failed: x/y' }).variant).toBe(
      'error',
    )
  })

  it('a browser notification only in a browser, when allowed, and while the page is hidden or not focused', () => {
    const page = { desktop: false, permission: 'granted' as const, visible: true, focused: false }
    expect(wantsBrowserNotification(page)).toBe(true)
    expect(wantsBrowserNotification({ ...page, focused: true })).toBe(false)
    expect(wantsBrowserNotification({ ...page, focused: true, visible: false })).toBe(true)
    expect(wantsBrowserNotification({ ...page, desktop: true })).toBe(false)
    expect(wantsBrowserNotification({ ...page, permission: 'default' })).toBe(false)
  })

  it('Settings offers to ask only when the browser can show them and has not been asked', () => {
    const ok = { desktop: false, hasApi: true, secure: true, permission: 'default' as const }
    expect(browserNotificationSupport(ok).state).toBe('default')
    expect(browserNotificationSupport({ ...ok, desktop: true }).state).toBe('desktop')
    expect(browserNotificationSupport({ ...ok, secure: false }).message).toMatch(/https:\/\/ or localhost/)
    expect(browserNotificationSupport({ ...ok, hasApi: false, permission: 'unsupported' }).state).toBe('unsupported')
    expect(browserNotificationSupport({ ...ok, permission: 'denied' }).message).toMatch(/site settings/)
    expect(browserNotificationSupport({ ...ok, permission: 'granted' }).state).toBe('granted')
  })
})
