import { toast } from 'vue-sonner'
import type { AppNotification } from '@shared/contract/notifications'
import { useStream } from '@/composables/useStream'
import { api } from '@/lib/rpc'
import { useRouter } from 'vue-router'
import { browserPermission, inDesktopApp, toastOf, wantsBrowserNotification } from './notification-model'

function showBrowserNotification(n: AppNotification, open: (route: string) => void): void {
  const page = { desktop: inDesktopApp(), permission: browserPermission(), visible: document.visibilityState === 'visible' }
  if (!wantsBrowserNotification({ ...page, focused: document.hasFocus() })) return
  try {
    const shown = new Notification(n.title, { body: n.body, tag: n.id })
    shown.onclick = () => {
      window.focus()
      open(n.route)
      shown.close()
    }
  } catch {
    // Some browsers allow notifications only from a service worker (Chrome on Android): the toast is enough.
  }
}

/**
 * The app-wide notification listener (issue #17 point 4), mounted once in App.vue: each notification from the
 * server becomes a toast with an "Open" action (the page concerned) and, in a browser that allows it while the
 * page is hidden or not focused, a browser notification too.
 */
export function useNotifications(): void {
  const router = useRouter()
  const open = (route: string): void => void router.push(route)
  useStream(
    (signal) => api.notifications.watch(undefined, { signal }),
    (n) => {
      const t = toastOf(n)
      toast[t.variant](t.title, {
        id: n.id,
        description: t.description,
        duration: n.urgency === 'critical' ? 15_000 : 8000,
        action: { label: 'Open', onClick: () => open(n.route) },
      })
      showBrowserNotification(n, open)
    },
  )
}
