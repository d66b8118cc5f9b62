import { base } from '../rpc/base'
import type { SettingsService } from './settings-service'

export function settingsRouter(settings: SettingsService) {
  return {
    get: base.settings.get.handler(() => settings.view()),
    update: base.settings.update.handler(({ input }) => settings.update(input)),
  }
}
