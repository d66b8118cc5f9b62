import { eventIterator, oc } from '@orpc/contract'
import { z } from 'zod'
import { commonErrors } from '../errors'

/** What a notification is about; each kind belongs to one toggle of Settings → Notifications. */
export const NotificationKind = z.enum([
  'download-finished',
  'download-failed',
  'model-ready',
  'model-failed',
  'model-crashed',
  'model-unloaded',
  'vllm-release',
  'webui-ready',
])
export type NotificationKind = z.infer<typeof NotificationKind>

/**
 * One notification (issue #17): several events of one kind that came close together are one notification
 * (`count` of them). The desktop app shows it natively, the web UI as a toast (and as a browser notification
 * when the user allowed them); a click opens `route`.
 */
export const AppNotification = z.object({
  id: z.string(),
  /** When it was sent (ISO 8601). */
  at: z.string(),
  kind: NotificationKind,
  title: z.string(),
  /** Plain text (never markup). */
  body: z.string(),
  /** The page of the UI a click opens, e.g. /deployments. */
  route: z.string(),
  urgency: z.enum(['normal', 'critical']),
  /** How many events it stands for (1 or more). */
  count: z.number().int().min(1),
})
export type AppNotification = z.infer<typeof AppNotification>

export const notificationsContract = {
  /** Each notification as it is sent (no snapshot: old news is not repeated), until the caller stops. */
  watch: oc.errors(commonErrors).output(eventIterator(AppNotification)),
}
