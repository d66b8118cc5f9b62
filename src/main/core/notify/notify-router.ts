import { base } from '../rpc/base'
import type { NotifyService } from './notify-service'

export function notificationsRouter(notify: NotifyService) {
  return {
    watch: base.notifications.watch.handler(({ signal }) => notify.watch(signal)),
  }
}
