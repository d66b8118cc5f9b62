import type { AppNotification } from '@shared/contract/notifications'

/** In the Electron app the preload exposes `window.inferadmin`; the shell shows native notifications there. */
export const inDesktopApp = (): boolean => !!window.inferadmin

export function browserPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission
}

/** How a notification looks as a toast: the title says how many it stands for; critical ones are errors. */
export function toastOf(n: AppNotification): { title: string; description: string; variant: 'error' | 'success' | 'info' } {
  const counted = n.count > 1 && !n.title.includes(String(n.count)) ? `${n.title} (${n.count})` : n.title
  const variant = n.urgency === 'critical' ? 'error' : n.kind === 'model-unloaded' || n.kind === 'vllm-release' ? 'info' : 'success'
  return { title: counted, description: n.body, variant }
}

export interface PageState {
  /** In the Electron app (the shell shows native notifications itself). */
  desktop: boolean
  permission: NotificationPermission | 'unsupported'
  visible: boolean
  focused: boolean
}

/** A browser notification as well as the toast: only in a browser, when allowed, and when the user is not looking. */
export function wantsBrowserNotification(s: PageState): boolean {
  return !s.desktop && s.permission === 'granted' && !(s.visible && s.focused)
}

/** `default`: not asked yet, so Settings offers the button. */
export interface BrowserNotificationSupport {
  state: 'desktop' | 'unsupported' | 'insecure' | 'denied' | 'granted' | 'default'
  message: string
}

/** What Settings → Notifications says about browser notifications, and whether it offers to ask for them. */
export function browserNotificationSupport(o: {
  desktop: boolean
  hasApi: boolean
  secure: boolean
  permission: NotificationPermission | 'unsupported'
}): BrowserNotificationSupport {
  if (o.desktop) return { state: 'desktop', message: 'The desktop app shows these as system notifications.' }
  if (!o.secure) {
    return {
      state: 'insecure',
      message: 'Browsers allow notifications only on https:// or localhost pages; open InferAdmin through an SSH tunnel to localhost.',
    }
  }
  if (!o.hasApi || o.permission === 'unsupported')
    return { state: 'unsupported', message: 'This browser has no notifications; toasts only.' }
  if (o.permission === 'granted') return { state: 'granted', message: 'Allowed: they appear while this tab is in the background.' }
  if (o.permission === 'denied') {
    return { state: 'denied', message: 'Blocked in this browser: allow notifications for this site in its site settings.' }
  }
  return { state: 'default', message: 'Also show them as browser notifications while this tab is in the background.' }
}
